"""The export tile: the twin's .twin file as something to drag to a folder or the desktop."""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QStyle, QVBoxLayout, QWidget

from desktop_twin.ui.drag import DragGesture, drag_file


class ExportTile(QFrame):
    drag_finished = Signal(object)  # the Qt.DropAction the drop target took

    def __init__(self, file_for_drag: Callable[[], Path | None], parent: QWidget | None = None):
        super().__init__(parent)
        self._file_for_drag = file_for_drag
        self._gesture = DragGesture()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedSize(220, 170)
        self.setAccessibleName("Export tile: drag to a folder to save the twin")
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon).pixmap(64, 64))
        self.file_name = QLabel("No twin chosen")
        self.file_name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.file_name.font()
        font.setBold(True)
        self.file_name.setFont(font)
        self.hint = QLabel("Drag to a folder or the desktop")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.icon)
        layout.addWidget(self.file_name)
        layout.addWidget(self.hint)

    def show_file(self, name: str, hint: str) -> None:
        self.file_name.setText(name)
        self.hint.setText(hint)

    def mousePressEvent(self, event) -> None:
        self._gesture.press(event)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._gesture.moved_far_enough(event):
            self.start_drag()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._gesture.release()
        super().mouseReleaseEvent(event)

    def start_drag(self) -> Qt.DropAction:
        path = self._file_for_drag()
        if path is None:
            return Qt.DropAction.IgnoreAction
        action = drag_file(self, path, self.icon.pixmap() or QPixmap())
        self.drag_finished.emit(action)
        return action
