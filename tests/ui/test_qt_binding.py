"""The Qt binding keeps Python's reference counts: a lost reference to None aborts the interpreter.

PySide6 6.12.0 on Python 3.11 took one reference from None on every Qt call that returns nothing
(setText, lineTo, ...), so the app aborted ("none_dealloc") some seconds into training or preview.
"""

import sys

from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QLabel

CALLS = 2000


def test_qt_calls_that_return_nothing_keep_none_alive(qtbot):
    label, path = QLabel(), QPainterPath()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(CALLS):
        label.setText(str(i))
        path.lineTo(i, i)
    assert sys.getrefcount(None) > before - CALLS // 10  # 6.12.0 on 3.11: 2 * CALLS fewer
