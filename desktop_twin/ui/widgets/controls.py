"""Controls made the same way on every page: an accessible name, a shortcut shown in the tooltip;
a question before anything is deleted."""

from collections.abc import Callable

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QPushButton, QWidget


def button(text: str, accessible: str, shortcut=None, menu_shortcut=None) -> QPushButton:
    """menu_shortcut: a key a menu action already owns, shown in the tooltip but not set on the button
    (a key with two owners in one window is ambiguous, and Qt then fires neither)."""
    widget = QPushButton(text)
    widget.setAccessibleName(accessible)
    if shortcut is not None:
        widget.setShortcut(QKeySequence(shortcut))
    keys = shortcut if shortcut is not None else menu_shortcut
    if keys is not None:
        widget.setToolTip(f"{accessible} ({QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)})")
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


def confirm_deleting(parent: QWidget, title: str, question: str, action: str, accessible: str,
                     on_confirmed: Callable[[], None]) -> QMessageBox:
    """Ask before something is deleted for good: Cancel is the default, `action` (the destructive
    button) calls on_confirmed. The box is open (not run modally) when this returns."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, f"{question} This cannot be undone.",
                      QMessageBox.StandardButton.Cancel, parent)
    confirm = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAccessibleName(accessible)
    box.buttonClicked.connect(lambda clicked: on_confirmed() if clicked is confirm else None)
    box.finished.connect(lambda _result: box.deleteLater())
    box.open()
    return box
