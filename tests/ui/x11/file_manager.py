"""A stand-in for a file manager, in its own process: a window that takes dropped files (copying
each dropped file into its folder, as a file manager does) or offers one file to drag out.

    python -m tests.ui.x11.file_manager receive FOLDER X Y
    python -m tests.ui.x11.file_manager offer FILE X Y
"""

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtWidgets import QApplication, QLabel

from desktop_twin.ui.drag import DragGesture, drag_file
from tests.ui.x11.protocol import global_center, report

LIFETIME_MS = 60_000


class FolderWindow(QLabel):
    def __init__(self, folder: Path):
        super().__init__(f"Folder {folder}\n(drop files here)")
        self.folder = folder
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        copied = []
        for url in event.mimeData().urls():
            source = Path(url.toLocalFile())
            shutil.copyfile(source, self.folder / source.name)
            copied.append(source.name)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        report("dropped", files=copied, formats=event.mimeData().formats())
        QTimer.singleShot(100, QApplication.quit)


class FileWindow(QLabel):
    def __init__(self, path: Path):
        super().__init__(f"{path.name}\n(drag me)")
        self.path = path
        self.gesture = DragGesture()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def mousePressEvent(self, event) -> None:
        self.gesture.press(event)

    def mouseMoveEvent(self, event) -> None:
        if self.gesture.moved_far_enough(event):
            action = drag_file(self, self.path)
            report("drag-finished", action=int(action.value) if hasattr(action, "value") else int(action))
            QTimer.singleShot(100, QApplication.quit)


def main(argv: list[str]) -> int:
    mode, target, x, y = argv[0], Path(argv[1]), int(argv[2]), int(argv[3])
    app = QApplication(sys.argv[:1])
    window = FolderWindow(target) if mode == "receive" else FileWindow(target)
    window.setWindowTitle("file manager stand-in")
    window.setGeometry(x, y, 300, 240)
    window.show()
    QTimer.singleShot(500, lambda: report("ready", at=global_center(window), url=QUrl.fromLocalFile(str(target)).toString()))
    QTimer.singleShot(LIFETIME_MS, lambda: (report("timeout"), app.exit(1)))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
