"""Controls made the same way on every page: an accessible name, a shortcut shown in the tooltip."""

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton


def button(text: str, accessible: str, shortcut=None) -> QPushButton:
    widget = QPushButton(text)
    widget.setAccessibleName(accessible)
    if shortcut is not None:
        sequence = QKeySequence(shortcut)
        widget.setShortcut(sequence)
        widget.setToolTip(f"{accessible} ({sequence.toString(QKeySequence.SequenceFormat.NativeText)})")
    else:
        widget.setToolTip(accessible)
    return widget


def progress_bar(name: str, visible: bool = True) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 1000)
    bar.setAccessibleName(name)
    bar.setVisible(visible)
    return bar


def wrapped_label(name: str, text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    return label
