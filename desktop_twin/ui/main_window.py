"""The main window: the pages in a side bar, the chosen twin in the title, drops onto the window,
menus with the main actions' shortcuts, and a quit that waits for every job to end."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QStackedWidget, QStyle,
    QVBoxLayout, QWidget)

from desktop_twin import __version__
from desktop_twin.capture.prompts import GuidedScript
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.error_dialog import ErrorPresenter
from desktop_twin.ui.export.page import ExportPage
from desktop_twin.ui.library.imports import TwinImporter, droppable_files
from desktop_twin.ui.library.page import LibraryPage
from desktop_twin.ui.preview.page import PreviewPage
from desktop_twin.ui.record.page import RecordPage
from desktop_twin.ui.train.page import TrainPage
from desktop_twin.ui.twins import twin_status

PAGES = (  # key, title, icon
    ("library", "Library", QStyle.StandardPixmap.SP_DirHomeIcon),
    ("record", "Record", QStyle.StandardPixmap.SP_MediaPlay),
    ("train", "Train", QStyle.StandardPixmap.SP_BrowserReload),
    ("preview", "Preview", QStyle.StandardPixmap.SP_DesktopIcon),
    ("export", "Export", QStyle.StandardPixmap.SP_DialogSaveButton),
)
STATUS_SECONDS = 8


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext, script: GuidedScript | None = None):
        super().__init__()
        self.context = context
        self.importer = TwinImporter(context)
        self.errors = ErrorPresenter(context.errors, self)
        self.setWindowTitle("Desktop Twin")
        self.setAcceptDrops(True)
        self.library = LibraryPage(context, self.importer)
        self.record = RecordPage(context, self.importer, script)
        self.train = TrainPage(context, self.importer)
        self.preview = PreviewPage(context)
        self.export = ExportPage(context)
        self.pages = {"library": self.library, "record": self.record, "train": self.train,
                      "preview": self.preview, "export": self.export}
        self._build()
        self._build_menus()
        for page in self.pages.values():
            page.message.connect(self.show_message)
        self.library.opened.connect(self._on_twin_opened)
        context.selection.changed.connect(lambda _p: self._show_twin())
        context.pool.activity_progress.connect(self._on_progress)
        self._restore()
        self._show_twin()

    def _build(self) -> None:
        self.navigation = QListWidget()
        self.navigation.setAccessibleName("Pages")
        self.navigation.setFixedWidth(150)
        self.stack = QStackedWidget()
        for key, title, icon in PAGES:
            item = QListWidgetItem(self.style().standardIcon(icon), title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.navigation.addItem(item)
            self.stack.addWidget(self.pages[key])
        self.navigation.currentRowChanged.connect(self._on_page_chosen)
        self.twin_label = QLabel()
        self.twin_label.setAccessibleName("Chosen twin")
        font = self.twin_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.twin_label.setFont(font)
        right = QVBoxLayout()
        right.addWidget(self.twin_label)
        right.addWidget(self.stack, 1)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.navigation)
        layout.addLayout(right, 1)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&New twin…", QKeySequence.StandardKey.New, self._new_twin)
        self._action(file_menu, "&Import video or .twin…", QKeySequence("Ctrl+I"), self._import)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        go_menu = self.menuBar().addMenu("&Go")
        for number, (key, title, _icon) in enumerate(PAGES, start=1):
            self._action(go_menu, title, QKeySequence(f"Ctrl+{number}"), lambda _c=False, k=key: self.show_page(k))
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About Desktop Twin", None, self._about)

    def _action(self, menu, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- pages and the chosen twin ----------------------------------------------------------------------

    def show_page(self, key: str) -> None:
        index = [k for k, _t, _i in PAGES].index(key)
        self.navigation.setCurrentRow(index)

    def current_page(self) -> str:
        return PAGES[self.stack.currentIndex()][0]

    def _on_page_chosen(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)
            self.context.settings.page = PAGES[row][0]

    def _on_twin_opened(self, name: str) -> None:
        """Go on with a twin where it stands: record it, train it, or see it live."""
        project = self.context.selection.project
        if project is None:
            return
        status = twin_status(project)
        self.show_page("preview" if status == "ready" else "train" if status == "prepared" else "record")

    def _show_twin(self) -> None:
        name = self.context.selection.name
        self.twin_label.setText(name or "No twin chosen")
        self.setWindowTitle(f"{name} — Desktop Twin" if name else "Desktop Twin")

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_SECONDS * 1000)

    def _on_progress(self, name: str, activity: str, fraction) -> None:
        self.statusBar().showMessage(f"{name}: {fraction.text}", STATUS_SECONDS * 1000)

    def _new_twin(self) -> None:
        self.show_page("library")
        self.library.ask_new_twin()

    def _import(self) -> None:
        self.show_page("library")
        self.library.ask_import_video()

    def _about(self) -> None:
        QMessageBox.about(self, "About Desktop Twin",
                          f"Desktop Twin {__version__}\nA digital twin of you, made and kept on this computer.")

    # -- drops onto the window ------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        # A drag that began here (a card, the export tile) offers the twin's own file: not an import.
        if event.source() is None and droppable_files(event.mimeData().urls()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        files = droppable_files(event.mimeData().urls()) if event.source() is None else []
        if not files:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.show_page("library")
        for path in files:
            self.importer.import_file(path)
        self.show_message(f"Importing {', '.join(p.name for p in files)}…")

    # -- window state and quitting -------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.context.settings.window_geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 760)
        page = self.context.settings.page
        self.show_page(page if page in self.pages else "library")
        interrupted = self.context.settings.interrupted_training
        if interrupted and interrupted == self.context.selection.name:
            self.show_message(f"Training of {interrupted} was interrupted; Resume on the Train page goes on "
                              "from its last checkpoint.")

    def closeEvent(self, event) -> None:
        self.context.settings.window_geometry = self.saveGeometry()
        self.context.settings.page = self.current_page()
        if self.context.pool.busy():
            self.show_message("Stopping: saving the training checkpoint and the recording…")
            self.statusBar().repaint()  # shutdown blocks this thread: paint the message before it does
        self.context.shutdown()  # cancels each job and waits: training writes its checkpoint
        self.errors.close_all()
        super().closeEvent(event)
