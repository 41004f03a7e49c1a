"""How much of what a twin needs the take covers so far: one bar per need, and overall."""

from PySide6.QtWidgets import QFormLayout, QProgressBar, QWidget

PARTS = {
    "head_yaw": "Head turned left and right",
    "head_pitch": "Head tilted up and down",
    "mouth_open": "Mouth opened wide",
    "expressions": "Expressions (smile, raised brows…)",
    "speech": "Speech",
    "neutral": "Relaxed, neutral face",
}


class CoverageView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.overall = _bar("Coverage overall")
        self.bars = {key: _bar(label) for key, label in PARTS.items()}
        layout = QFormLayout(self)
        layout.addRow("Overall", self.overall)
        for key, bar in self.bars.items():
            layout.addRow(PARTS[key], bar)

    def show_coverage(self, parts: dict[str, float] | None, score: float | None) -> None:
        self.overall.setValue(round((score or 0.0) * 100))
        for key, bar in self.bars.items():
            bar.setValue(round((parts or {}).get(key, 0.0) * 100))

    def clear(self) -> None:
        self.show_coverage(None, None)


def _bar(name: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 100)
    bar.setFormat("%p%")
    bar.setAccessibleName(name)
    return bar
