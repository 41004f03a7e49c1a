"""A picture that scales to the space it is given, keeping its aspect ratio."""

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


class ImageView(QWidget):
    def __init__(self, accessible_name: str, placeholder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.placeholder = placeholder
        self.setAccessibleName(accessible_name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.setProperty("showsFootage", True)  # documentation screenshots pixelate these

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def clear(self, placeholder: str | None = None) -> None:
        if placeholder is not None:
            self.placeholder = placeholder
        self.set_image(None)

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.AlternateBase))
        if self.image is None or self.image.isNull():
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(8, 8, -8, -8), flags, self.placeholder)
            return
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x, y = (self.width() - size.width()) // 2, (self.height() - size.height()) // 2
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRect(x, y, size.width(), size.height()), self.image)
