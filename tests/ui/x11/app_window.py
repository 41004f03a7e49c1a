"""The real application's main window on the X display, reporting what the drag-and-drop tests
need: where a twin's card is, and when a drag ended or a dropped video became a twin.

    python -m tests.ui.x11.app_window SETTINGS_FILE X Y [CARD_NAME]
"""

import sys

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from desktop_twin.store import open_project
from desktop_twin.ui.app import close_on_termination_signals
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.main_window import MainWindow
from desktop_twin.ui.settings import AppSettings
from tests.ui.x11.protocol import global_center, report

LIFETIME_MS = 120_000


def main(argv: list[str]) -> int:
    settings_file, x, y = argv[0], int(argv[1]), int(argv[2])
    card_name = argv[3] if len(argv) > 3 else None
    app = QApplication(sys.argv[:1])
    context = AppContext.create(AppSettings(QSettings(settings_file, QSettings.Format.IniFormat)))
    window = MainWindow(context)
    window.setGeometry(x, y, 900, 640)
    window.show()

    def ready() -> None:
        cards = window.library.cards
        report("ready", window=global_center(window),
               card=global_center(cards[card_name]) if card_name in cards else None)

    def on_dragged(name: str, action) -> None:
        report("dragged", name=name, action=str(action))

    def on_imported(name: str) -> None:
        report("imported", name=name, status=open_project(name).manifest.status)
        QTimer.singleShot(100, window.close)

    for card in window.library.cards.values():
        card.drag_finished.connect(on_dragged)
    window.importer.imported.connect(on_imported)
    window.library.message.connect(lambda text: report("message", text=text))
    QTimer.singleShot(800, ready)
    QTimer.singleShot(LIFETIME_MS, lambda: (report("timeout"), window.close()))
    restore_signals = close_on_termination_signals(window.close)  # the test ends it with SIGTERM
    code = app.exec()
    restore_signals()
    context.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
