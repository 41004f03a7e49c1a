"""A twin's card: thumbnail, name, status, quality; click to choose it, drag it out to export it."""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPalette, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from desktop_twin.ui.drag import DragGesture, drag_file
from desktop_twin.ui.library.pictures import THUMBNAIL_SIDE, CardPicture
from desktop_twin.ui.twins import STATUS_TEXT

CARD_SIZE = QSize(THUMBNAIL_SIDE + 24, THUMBNAIL_SIDE + 118)


class TwinCard(QFrame):
    chosen = Signal(str)  # clicked: the twin's name
    opened = Signal(str)  # double-clicked or Enter
    drag_finished = Signal(str, object)  # name, the Qt.DropAction the drop target took

    def __init__(self, name: str, status: str, file_for_drag: Callable[[str], Path | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.status = status
        self._file_for_drag = file_for_drag
        self._gesture = DragGesture()
        self.setFixedSize(CARD_SIZE)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"Twin {name}")
        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setProperty("showsFootage", True)
        self.thumbnail.setAccessibleName(f"Picture of {name}")
        self.name_label = QLabel(name)
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.status_label = QLabel()
        self.quality_label = QLabel()
        self.quality_label.setAccessibleName("Quality")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.setAccessibleName(f"Progress of {name}")
        self.progress.hide()
        for label in (self.name_label, self.status_label, self.quality_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 8)
        layout.setSpacing(3)
        layout.addWidget(self.thumbnail)
        layout.addWidget(self.name_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.quality_label)
        layout.addWidget(self.progress)
        self.set_status(status)
        self.set_selected(False)

    def set_status(self, status: str, detail: str = "") -> None:
        self.status = status
        self.status_label.setText(detail or STATUS_TEXT.get(status, status))
        self.setAccessibleDescription(f"{STATUS_TEXT.get(status, status)}. {self.quality_label.text()}".strip())

    def set_picture(self, picture: CardPicture) -> None:
        if picture.thumbnail is not None:
            self.thumbnail.setPixmap(QPixmap.fromImage(picture.thumbnail))
        self.quality_label.setText(picture.quality)
        self.set_status(self.status, self.status_label.text())

    def set_progress(self, fraction: float | None, text: str = "") -> None:
        self.progress.setVisible(fraction is not None)
        if fraction is not None:
            self.progress.setValue(round(fraction * 1000))
            self.progress.setToolTip(text)

    def set_selected(self, selected: bool) -> None:
        self.setAutoFillBackground(selected)
        self.setBackgroundRole(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Window)
        self.setForegroundRole(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.WindowText)
        self.setLineWidth(2 if selected else 1)

    # -- mouse and keyboard -----------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        self._gesture.press(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.chosen.emit(self.name)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._gesture.moved_far_enough(event):
            self.start_drag()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._gesture.release()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.opened.emit(self.name)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.opened.emit(self.name)
        elif event.key() == Qt.Key.Key_Space:
            self.chosen.emit(self.name)
        else:
            super().keyPressEvent(event)

    def start_drag(self) -> Qt.DropAction:
        """Offer the twin's .twin file to whatever the pointer drops it on (a folder, the desktop)."""
        path = self._file_for_drag(self.name)
        if path is None:
            return Qt.DropAction.IgnoreAction
        action = drag_file(self, path, self.thumbnail.pixmap())
        self.drag_finished.emit(self.name, action)
        return action
