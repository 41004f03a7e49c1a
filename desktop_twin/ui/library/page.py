"""The library page: every twin as a card; new, rename, delete, open its folder."""

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from desktop_twin.errors import UserError
from desktop_twin.store import TwinProject, create_project, data_root, delete_project, list_projects, rename_project
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.devices import VIDEO_FILTER, ask_open_file
from desktop_twin.ui.library.card import TwinCard
from desktop_twin.ui.library.imports import TwinImporter
from desktop_twin.ui.library.name_dialog import NameDialog
from desktop_twin.ui.library.pictures import load_pictures
from desktop_twin.ui.twins import EXPORTS_FOLDER, TWIN_SUFFIX, bundle_path, is_trained, twin_status
from desktop_twin.ui.widgets import controls
from desktop_twin.ui.widgets.flow_layout import FlowLayout
from desktop_twin.ui.workers import ThreadWorker

ACTIVITY_TEXT = {"importing": "Importing the video…", "preparing": "Preparing the footage…",
                 "recording": "Recording…", "training": "Training…", "exporting": "Getting the .twin file ready…",
                 "rendering": "Rendering a video…", "previewing": "Live in the preview…",
                 "measuring": "Measuring the twin's quality…"}


class LibraryPage(QWidget):
    opened = Signal(str)  # a twin was double-clicked: go on with it
    message = Signal(str)  # for the status bar

    def __init__(self, context: AppContext, importer: TwinImporter, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.importer = importer
        self.cards: dict[str, TwinCard] = {}
        self.dialog: NameDialog | None = None
        self.confirmation: QMessageBox | None = None
        self._pictures_generation = 0
        self._activities: set = set()
        self._progress_of: dict[str, str] = {}  # twin -> the job whose progress its card shows
        self._build()
        context.pool.changed.connect(self._on_activity_changed)
        context.pool.activity_progress.connect(self._on_progress)
        context.selection.changed.connect(lambda _p: self._show_selection())
        context.bundles.ready.connect(lambda _name, _path: self.refresh())
        importer.created.connect(lambda name: self.refresh(select=name))
        importer.imported.connect(self._on_imported)
        self.refresh(select=context.settings.twin or None)

    def _build(self) -> None:
        # The File menu owns these two keys, on every page.
        self.new_button = controls.button("New twin…", "Create a new, empty twin",
                                          menu_shortcut=QKeySequence.StandardKey.New)
        self.import_button = controls.button("Import video…", "Start a twin from a video file",
                                             menu_shortcut=QKeySequence("Ctrl+I"))
        self.rename_button = controls.button("Rename…", "Rename the chosen twin", QKeySequence("F2"))
        self.delete_button = controls.button("Delete…", "Delete the chosen twin", QKeySequence.StandardKey.Delete)
        self.folder_button = controls.button("Open folder", "Open the chosen twin's folder", QKeySequence("Ctrl+Shift+O"))
        self.new_button.clicked.connect(self.ask_new_twin)
        self.import_button.clicked.connect(self.ask_import_video)
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button.clicked.connect(self.ask_delete)
        self.folder_button.clicked.connect(self.open_folder)
        self._idle_tips = {button: button.toolTip() for button in (self.rename_button, self.delete_button)}
        buttons = QHBoxLayout()
        for button in (self.new_button, self.import_button, self.rename_button, self.delete_button,
                       self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch()
        self.hint = QLabel("Drop a video of yourself, or a .twin file, anywhere on this window. "
                           "Drag a ready twin's card to a folder to export it.")
        self.hint.setWordWrap(True)
        self.empty_hint = QLabel()
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAccessibleName("The library is empty")
        self.grid = QWidget()
        self.grid_layout = FlowLayout(self.grid)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.grid)
        self.scroll.setAccessibleName("Twins")
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.scroll, 1)

    # -- the cards ---------------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        """Read the library again: cards for new twins, statuses, pictures."""
        projects = list_projects()
        if [p.name for p in projects] != list(self.cards):
            self._rebuild_cards(projects)
        for project in projects:
            activity = self.context.pool.activity(project.name)
            self.cards[project.name].set_status(twin_status(project, activity), ACTIVITY_TEXT.get(activity, ""))
            if self._progress_of.get(project.name) not in self.context.pool.activities(project.name):
                self._progress_of.pop(project.name, None)  # its job ended, though another (a preview) goes on
                self.cards[project.name].set_progress(None)
        self.empty_hint.setVisible(not projects)
        self.empty_hint.setText(f"No twins yet (they are kept in {data_root()}).\nClick New twin, "
                                "or drop a video of yourself onto this window.")
        wanted = select if select is not None else self.context.selection.name
        wanted = wanted if wanted in self.cards else None
        if select is not None or wanted != self.context.selection.name:
            self.context.selection.select(wanted)
        self._show_selection()
        self._load_pictures(projects)

    def _rebuild_cards(self, projects: list[TwinProject]) -> None:
        for card in self.cards.values():
            self.grid_layout.removeWidget(card)
            card.deleteLater()
        self.cards = {}
        for project in projects:
            card = TwinCard(project.name, project.manifest.status, self._file_for_drag)
            card.chosen.connect(self.context.selection.select)
            card.opened.connect(self.opened.emit)
            card.drag_finished.connect(self._on_drag_finished)
            self.cards[project.name] = card
            self.grid_layout.addWidget(card)

    def _load_pictures(self, projects: list[TwinProject]) -> None:
        self._pictures_generation += 1
        generation = self._pictures_generation
        worker = ThreadWorker(lambda emit, cancel: load_pictures(projects, emit, cancel), "reading the twins' pictures")
        worker.result.connect(lambda pictures: self._on_pictures(generation, pictures))
        self.context.pool.start(worker)

    def _on_pictures(self, generation: int, pictures: dict) -> None:
        if generation != self._pictures_generation:
            return  # the library changed since: a newer load is on its way
        for name, picture in pictures.items():
            if name in self.cards:
                self.cards[name].set_picture(picture)

    def _show_selection(self) -> None:
        chosen = self.context.selection.name
        for name, card in self.cards.items():
            card.set_selected(name == chosen)
        self.folder_button.setEnabled(chosen is not None)
        activity = self.context.pool.activity(chosen) if chosen else None
        for button, verb in ((self.rename_button, "rename"), (self.delete_button, "delete")):
            # A job holds the twin's folder: say so on the button rather than refuse in a dialog.
            button.setEnabled(chosen is not None and activity is None)
            button.setToolTip(f"{chosen} is busy ({ACTIVITY_TEXT.get(activity, activity).rstrip('…').lower()}); "
                              f"{verb} it when that is done" if activity else self._idle_tips[button])
        if chosen:
            self.context.settings.twin = chosen

    def _on_activity_changed(self) -> None:
        activities = {(w.twin, w.activity) for w in self.context.pool.workers if w.twin and w.activity}
        if activities != self._activities:  # a twin started or ended a job: its status may have moved
            self._activities = activities
            self.refresh()

    def _on_imported(self, name: str) -> None:
        self.refresh()
        if name == self.context.selection.name:
            self.context.selection.reload()  # its footage is prepared now: the other pages follow

    def _on_progress(self, name: str, activity: str, fraction) -> None:
        if name in self.cards:
            self._progress_of[name] = activity
            self.cards[name].set_progress(fraction.done, fraction.text)

    # -- actions ------------------------------------------------------------------------------------

    def ask_new_twin(self) -> NameDialog:
        def create(name: str) -> None:
            project = create_project(name)
            self.refresh(select=project.name)

        return self._open_dialog(NameDialog("New twin", "What is the twin's name? (yours, usually)", create,
                                            parent=self))

    def ask_rename(self) -> NameDialog | None:
        project = self.context.selection.project
        if project is None:
            return None

        def rename(name: str) -> None:
            if self.context.pool.activity(project.name):
                raise UserError(f"{project.name} is busy ({self.context.pool.activity(project.name)}); "
                                "rename it when that is done.")
            renamed = rename_project(project, name)
            _rename_twin_file(project, renamed)
            if self.context.settings.interrupted_training == project.name:  # still offered as paused
                self.context.settings.interrupted_training = renamed.name
            self.refresh(select=renamed.name)

        return self._open_dialog(NameDialog("Rename twin", f"New name for {project.name}:", rename,
                                            project.name, parent=self))

    def _open_dialog(self, dialog: NameDialog) -> NameDialog:
        self.dialog = dialog
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        return dialog

    def ask_delete(self) -> QMessageBox | None:
        project = self.context.selection.project
        if project is None:
            return None
        self.confirmation = controls.confirm_deleting(
            self, "Delete twin", f"Delete {project.name}? Its footage, recordings and trained model are removed "
                                 "from this computer.", "Delete", "Confirm deleting the twin",
            lambda: self._delete(project))
        return self.confirmation

    def _delete(self, project: TwinProject) -> None:
        if self.context.pool.activity(project.name):
            self.context.errors.report_exception(
                UserError(f"{project.name} is busy ({self.context.pool.activity(project.name)}). "
                          "Stop that first, then delete it."), "deleting a twin")
            return
        delete_project(project)
        self.context.selection.select(None)
        self.refresh()
        self.message.emit(f"Deleted {project.name}.")

    def open_folder(self) -> None:
        project = self.context.selection.project
        if project is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(project.path)))

    def ask_import_video(self) -> None:
        path = ask_open_file(self, self.context.settings, "Start a twin from a video",
                             f"{VIDEO_FILTER};;Twins (*{TWIN_SUFFIX})")
        if path:
            self.importer.import_file(path)

    # -- dragging a card out -------------------------------------------------------------------------

    def _file_for_drag(self, name: str):
        project = next((p for p in list_projects() if p.name == name), None)
        if project is None:
            return None
        path = self.context.bundles.file_for_drag(project)
        if path is not None:
            return path
        if not is_trained(project):
            self.message.emit(f"{name} is not trained yet: train it first, then drag it out to export it.")
            return None
        try:
            self.context.bundles.ensure(project)
        except UserError as error:
            self.message.emit(str(error))
            return None
        self.message.emit(f"Getting {name}{TWIN_SUFFIX} ready… drag the card again in a moment.")
        return None

    def _on_drag_finished(self, name: str, action) -> None:
        if action != Qt.DropAction.IgnoreAction:
            self.message.emit(f"Exported {name}{TWIN_SUFFIX}.")


def _rename_twin_file(old: TwinProject, renamed: TwinProject) -> None:
    """A twin added from a .twin file has no model to export again: its file follows the new name.
    A trained twin's file carries the old name inside; it goes, and is made again under the new
    name when next needed."""
    previous = renamed.path / EXPORTS_FOLDER / f"{old.name}{TWIN_SUFFIX}"
    if not previous.is_file():
        return
    if is_trained(renamed):
        previous.unlink()
    else:
        previous.rename(bundle_path(renamed))
