"""Dragging a file out of the window: the file is made before the drag starts (a drag cannot
wait), offered as a file URL, and the drop target (a file manager, the desktop) copies it."""

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDrag, QPixmap
from PySide6.QtWidgets import QApplication, QWidget


def drag_file(source: QWidget, path: Path, pixmap: QPixmap | None = None) -> Qt.DropAction:
    drag = QDrag(source)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drag.setMimeData(mime)
    if pixmap is not None and not pixmap.isNull():
        drag.setPixmap(pixmap.scaled(72, 72, Qt.AspectRatioMode.KeepAspectRatio))
    return drag.exec(Qt.DropAction.CopyAction)


class DragGesture:
    """Tells a press-and-move that should start a drag from a plain click."""

    def __init__(self):
        self._press: QPoint | None = None

    def press(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()

    def moved_far_enough(self, event) -> bool:
        if self._press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return False
        if (event.position().toPoint() - self._press).manhattanLength() < QApplication.startDragDistance():
            return False
        self._press = None
        return True

    def release(self) -> None:
        self._press = None
