"""The main window: for now the library of twins on this machine."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMainWindow, QVBoxLayout, QWidget

from desktop_twin.store import data_root, list_projects


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("Desktop Twin")
        self.resize(900, 600)
        self.twin_list = QListWidget()
        self.twin_list.setAccessibleName("Twins")
        self.empty_hint = QLabel()
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.twin_list)
        layout.addWidget(self.empty_hint)
        self.setCentralWidget(central)
        self.refresh()

    def refresh(self) -> None:
        self.twin_list.clear()
        projects = list_projects()
        for project in projects:
            item = QListWidgetItem(f"{project.name}  ({project.manifest.status})")
            item.setData(Qt.ItemDataRole.UserRole, project.name)
            self.twin_list.addItem(item)
        self.empty_hint.setVisible(not projects)
        self.empty_hint.setText(
            f"No twins yet in {data_root()}.\n"
            "Create one from a terminal: desktop-twin new NAME, then desktop-twin import NAME VIDEO."
        )
