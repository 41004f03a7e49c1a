"""A small line plot drawn with QPainter: loss and held-out quality as training goes on."""

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

# Hues that read on light and dark themes alike; the axes use the palette's colours.
SERIES_COLOURS = ("#3b82f6", "#f97316", "#10b981", "#e11d48", "#a855f7")
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 52, 10, 22, 22


class CurvePlot(QWidget):
    def __init__(self, title: str, unit: str = "", accessible_name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.unit = unit
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.setAccessibleName(accessible_name or title)
        self.setMinimumSize(170, 130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def add_point(self, name: str, x: float, y: float) -> None:
        if not math.isfinite(y):
            return
        self.series.setdefault(name, []).append((float(x), float(y)))
        latest = ", ".join(f"{n} {points[-1][1]:.4g}" for n, points in self.series.items() if points)
        self.setAccessibleDescription(f"{self.title}: {latest}")
        self.update()

    def clear(self) -> None:
        self.series.clear()
        self.setAccessibleDescription("")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(360, 200)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        painter.setPen(text)
        painter.drawText(QRectF(MARGIN_LEFT, 2, self.width() - MARGIN_LEFT, MARGIN_TOP - 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        area = QRectF(MARGIN_LEFT, MARGIN_TOP, self.width() - MARGIN_LEFT - MARGIN_RIGHT,
                      self.height() - MARGIN_TOP - MARGIN_BOTTOM)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawRect(area)
        points = [p for series in self.series.values() for p in series]
        if not points:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No figures yet")
            return
        bounds = _bounds(points)
        self._draw_axes(painter, area, bounds, text)
        for index, (name, series) in enumerate(self.series.items()):
            self._draw_series(painter, area, bounds, series, QColor(SERIES_COLOURS[index % len(SERIES_COLOURS)]))
            self._draw_legend(painter, area, index, name, QColor(SERIES_COLOURS[index % len(SERIES_COLOURS)]))

    def _draw_axes(self, painter, area, bounds, colour) -> None:
        x0, x1, y0, y1 = bounds
        painter.setPen(colour)
        flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for value, y in ((y1, area.top()), (y0, area.bottom())):
            painter.drawText(QRectF(0, y - 8, MARGIN_LEFT - 4, 16), flags, f"{value:.3g}{self.unit}")
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), MARGIN_BOTTOM - 2),
                         Qt.AlignmentFlag.AlignLeft, f"step {x0:g}")
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), MARGIN_BOTTOM - 2),
                         Qt.AlignmentFlag.AlignRight, f"step {x1:g}")

    def _draw_series(self, painter, area, bounds, series, colour) -> None:
        x0, x1, y0, y1 = bounds

        def place(x, y) -> QPointF:
            return QPointF(area.left() + (x - x0) / (x1 - x0) * area.width(),
                           area.bottom() - (y - y0) / (y1 - y0) * area.height())

        painter.setPen(QPen(colour, 2))
        path = QPainterPath(place(*series[0]))
        for x, y in series[1:]:
            path.lineTo(place(x, y))
        painter.drawPath(path)
        painter.setBrush(colour)
        for x, y in series[-1:] if len(series) > 1 else series:
            painter.drawEllipse(place(x, y), 3, 3)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _draw_legend(self, painter, area, index, name, colour) -> None:
        """Names in the title row, right-aligned, so they never cover the curves."""
        metrics = painter.fontMetrics()
        names = list(self.series)
        widths = [metrics.horizontalAdvance(n) + 26 for n in names]
        title_end = MARGIN_LEFT + metrics.horizontalAdvance(self.title) + 12
        x = max(area.right() - sum(widths), title_end) + sum(widths[:index])
        y = MARGIN_TOP / 2
        painter.setPen(QPen(colour, 3))
        painter.drawLine(QPointF(x, y), QPointF(x + 14, y))
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        painter.drawText(QRectF(x + 18, 2, widths[index] - 18, MARGIN_TOP - 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)


def _bounds(points) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        pad = abs(y0) * 0.05 or 1.0
        y0, y1 = y0 - pad, y1 + pad
    return x0, x1, y0, y1
