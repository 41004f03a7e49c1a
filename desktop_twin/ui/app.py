"""The application: a QApplication and the main window."""

import sys

from PySide6.QtWidgets import QApplication

from desktop_twin import __version__
from desktop_twin.ui.main_window import MainWindow


def run_app(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Desktop Twin")
    app.setOrganizationName("Desktop Twin")
    app.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    return app.exec()
