"""Ask for a twin's name; what is wrong with it (in the store's words) shows as it is typed."""

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop_twin.errors import UserError
from desktop_twin.store import validate_name


class NameDialog(QDialog):
    def __init__(self, title: str, prompt: str, submit: Callable[[str], object], initial: str = "",
                 parent: QWidget | None = None):
        """submit(name) does the work; a UserError it raises is shown and the dialog stays open."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._submit = submit
        self.prompt = QLabel(prompt)
        self.name_edit = QLineEdit(initial)
        self.name_edit.setAccessibleName("Twin name")
        self.name_edit.selectAll()
        self.prompt.setBuddy(self.name_edit)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("What is wrong with the name")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._on_text)
        layout = QVBoxLayout(self)
        for widget in (self.prompt, self.name_edit, self.problem, self.buttons):
            layout.addWidget(widget)
        self._on_text(initial)

    def _on_text(self, text: str) -> None:
        try:
            validate_name(text)
            problem = ""
        except UserError as error:
            problem = str(error) if text else ""
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text.strip()) and not problem)

    def _on_accept(self) -> None:
        try:
            self._submit(self.name_edit.text())
        except UserError as error:
            self.problem.setText(str(error))
            return
        self.accept()
