"""The application: a QApplication whose look follows the system, the one error path, the main window."""

import multiprocessing
import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from desktop_twin import __version__
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.errors import install_exception_hooks
from desktop_twin.ui.main_window import MainWindow


TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGINT)  # a session ending or `kill`; Ctrl+C in a terminal
SIGNAL_POLL_MS = 200  # Python runs signal handlers only when it has the thread: a timer lends it


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
    windows: list[QWidget] = []  # filled below: a signal that comes first closes the window once it is up
    restore_signals = close_on_termination_signals(lambda: [window.close() for window in windows])
    context = AppContext.create()
    uninstall = install_exception_hooks(context.errors)
    window = MainWindow(context)
    windows.append(window)
    window.show()
    try:
        return app.exec()
    finally:
        restore_signals()
        uninstall()


def close_on_termination_signals(close: Callable[[], object]) -> Callable[[], None]:
    """SIGTERM and SIGINT close the application as the person would (`close` closes its window):
    training writes its checkpoint, a recording is finished, temporary files go. Returns what puts
    the previous handlers back."""
    timer = QTimer()
    timer.timeout.connect(lambda: None)
    timer.start(SIGNAL_POLL_MS)
    previous = {number: signal.signal(number, lambda *_: QTimer.singleShot(0, close))
                for number in TERMINATION_SIGNALS}

    def restore() -> None:
        timer.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore
