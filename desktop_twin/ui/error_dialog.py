"""The error dialog: the message for a person, and the full report, which one click copies."""

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QStyle, QVBoxLayout, QWidget)

from desktop_twin.ui.errors import ErrorRelay, ErrorReport


class ErrorDialog(QDialog):
    def __init__(self, report: ErrorReport, parent: QWidget | None = None):
        super().__init__(parent)
        self.report = report
        self.setWindowTitle(report.title)
        self.setAccessibleName(report.title)
        icon = QStyle.StandardPixmap.SP_MessageBoxWarning if report.expected else \
            QStyle.StandardPixmap.SP_MessageBoxCritical
        self.setWindowIcon(self.style().standardIcon(icon))
        self.message = QLabel(report.message)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Error message")
        self.details = QPlainTextEdit(report.details)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error report")
        self.details.setVisible(not report.expected)
        self.details.setMinimumHeight(160)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy report")
        self.copy_button.setAccessibleName("Copy the error report")
        self.toggle_button = QPushButton("Hide details" if not report.expected else "Show details")
        self.toggle_button.setAccessibleName("Show or hide the error report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.toggle_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy_report)
        self.toggle_button.clicked.connect(self._on_toggle)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details)
        layout.addWidget(buttons)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(f"{self.report.message}\n\n{self.report.details}")

    def _on_toggle(self) -> None:
        shown = not self.details.isVisible()
        self.details.setVisible(shown)
        self.toggle_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()


class ErrorPresenter:
    """Shows each report the relay carries in a dialog over the parent, on the main thread."""

    MAX_OPEN = 3  # a burst of failures shows the first few, not a wall of dialogs

    def __init__(self, relay: ErrorRelay, parent: QWidget | None = None):
        self.parent = parent
        self.open_dialogs: list[ErrorDialog] = []
        self.shown: list[ErrorReport] = []
        relay.reported.connect(self._on_report)

    def _on_report(self, report: ErrorReport) -> None:
        self.shown.append(report)
        if len(self.open_dialogs) >= self.MAX_OPEN:
            return
        dialog = ErrorDialog(report, self.parent)
        self.open_dialogs.append(dialog)
        dialog.finished.connect(lambda _result, d=dialog: self._on_closed(d))
        dialog.open()

    def _on_closed(self, dialog: ErrorDialog) -> None:
        if dialog in self.open_dialogs:
            self.open_dialogs.remove(dialog)
        dialog.deleteLater()

    def close_all(self) -> None:
        for dialog in list(self.open_dialogs):
            dialog.reject()
