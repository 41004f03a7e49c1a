"""The application: a QApplication whose look follows the system, the one error path, the main window."""

import multiprocessing
import sys

from PySide6.QtWidgets import QApplication

from desktop_twin import __version__
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.errors import install_exception_hooks
from desktop_twin.ui.main_window import MainWindow


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Desktop Twin")
    app.setOrganizationName("desktop-twin")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("desktop-twin")
    # No style or palette is forced: Qt follows the system's light or dark scheme and restyles
    # every widget when it changes; custom-drawn widgets paint with the palette's colours.
    return app


def run_app(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    app = create_app(argv)
    context = AppContext.create()
    uninstall = install_exception_hooks(context.errors)
    window = MainWindow(context)
    window.show()
    try:
        return app.exec()
    finally:
        uninstall()
