"""The export page: the twin as a .twin file (drag the tile out, or Save as), an MP4 of the twin
driven by a video, and the report card of its measured quality."""

import shutil
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QVBoxLayout, QWidget)

from desktop_twin.errors import UserError
from desktop_twin.store.atomic import atomic_write_with
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.devices import AUDIO_FILTER, AUDIO_SUFFIXES, VIDEO_FILTER, ask_open_file
from desktop_twin.ui.export.report_card import ReportCard, scores_from_evaluation, scores_from_twin_quality
from desktop_twin.ui.export.tile import ExportTile
from desktop_twin.ui.twins import TWIN_SUFFIX, best_checkpoint, has_a_model, is_trained
from desktop_twin.ui.widgets import controls
from desktop_twin.ui.workers import ProcessWorker, ThreadWorker, describe_fraction


class ExportPage(QWidget):
    message = Signal(str)
    saved = Signal(str)  # path of a .twin written by Save as
    rendered = Signal(str)  # path of a rendered MP4
    measured = Signal(object)  # the report card's scores

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        # What waits for a twin's file: (twin, "save", path), (twin, "render", arguments). Each is carried
        # out when that twin's file is ready, whichever twin is chosen by then: the person asked for it.
        self.pending: list[tuple[str, str, object]] = []
        self.render_worker: ProcessWorker | None = None
        self.measure_worker: ProcessWorker | None = None
        self._report_model: int | None = None  # _model_stamp of the twin the report card is of
        self._build()
        context.selection.changed.connect(lambda _p: self._on_twin_changed())
        context.bundles.ready.connect(self._on_bundle_ready)
        context.bundles.failed.connect(self._on_bundle_failed)
        context.pool.activity_progress.connect(self._on_progress)
        context.pool.changed.connect(self._update_controls)
        self._on_twin_changed()

    def _build(self) -> None:
        self.tile = ExportTile(self._file_for_drag)
        self.tile.drag_finished.connect(self._on_dragged)
        self.save_button = controls.button("Save as…", "Save the twin as a .twin file", QKeySequence.StandardKey.Save)
        self.save_button.clicked.connect(self.ask_save)
        self.file_progress = controls.progress_bar("Progress of the .twin file", False)
        self.file_status = controls.wrapped_label("State of the .twin file")
        file_box = QGroupBox("The twin as one file")
        file_layout = QGridLayout(file_box)
        file_layout.addWidget(self.tile, 0, 0, 3, 1)
        file_layout.addWidget(self.save_button, 0, 1)
        file_layout.addWidget(self.file_status, 1, 1)
        file_layout.addWidget(self.file_progress, 2, 1)

        self.drive_label = controls.wrapped_label("Driving video")
        self.drive_label.setText("No driving video or sound chosen.")
        self.drive_button = controls.button("Driving file…", "Choose the video or sound that drives the twin",
                                            "Ctrl+Shift+D")
        self.drive_button.clicked.connect(self.ask_driving_video)
        self.mode = QComboBox()
        self.mode.setAccessibleName("How the file drives the twin")
        self.mode.addItem("The twin copies the face in the video", "face")
        self.mode.addItem("The twin speaks the file's sound", "speech")
        self.mode.currentIndexChanged.connect(lambda _i: self._update_controls())
        self.side_by_side = QCheckBox("Driver beside the twin")
        self.side_by_side.setAccessibleName("Put the driving video beside the twin")
        self.render_button = controls.button("Render MP4…", "Render a video of the twin", "Ctrl+Shift+R")
        self.render_button.clicked.connect(self.ask_render)
        self.render_cancel = controls.button("Cancel", "Cancel rendering", "Ctrl+.")
        self.render_cancel.clicked.connect(self.cancel_render)
        self.render_progress = controls.progress_bar("Rendering progress", False)
        self.render_status = controls.wrapped_label("Rendering status")
        self.driving_video: Path | None = None
        render_box = QGroupBox("A video of the twin")
        render_layout = QVBoxLayout(render_box)
        row = QHBoxLayout()
        for widget in (self.drive_button, self.side_by_side, self.render_button, self.render_cancel):
            row.addWidget(widget)
        row.addStretch()
        render_layout.addWidget(self.drive_label)
        render_layout.addWidget(self.mode)
        render_layout.addLayout(row)
        render_layout.addWidget(self.render_progress)
        render_layout.addWidget(self.render_status)

        self.report = ReportCard()
        self.measure_button = controls.button("Measure", "Measure the twin's quality", "Ctrl+M")
        self.measure_button.clicked.connect(self.measure)
        self.report_save_button = controls.button("Save report…", "Save the report card", "Ctrl+Shift+E")
        self.report_save_button.clicked.connect(self.ask_save_report)
        self.measure_progress = controls.progress_bar("Measuring progress", False)
        report_box = QGroupBox("Report card")
        report_layout = QVBoxLayout(report_box)
        report_layout.addWidget(self.report)
        row = QHBoxLayout()
        row.addWidget(self.measure_button)
        row.addWidget(self.report_save_button)
        row.addWidget(self.measure_progress, 1)
        report_layout.addLayout(row)

        layout = QGridLayout(self)
        layout.addWidget(file_box, 0, 0)
        layout.addWidget(render_box, 1, 0)
        layout.addWidget(report_box, 0, 1, 2, 1)
        layout.setColumnStretch(0, 1)
        layout.setColumnStretch(1, 1)

    # -- state ----------------------------------------------------------------------------------------

    def _on_twin_changed(self) -> None:
        project = self.context.selection.project
        model = _model_stamp(project)
        if project is None or (project.name, model) != (self.report.twin_name, self._report_model):
            self.report.show_scores(project.name if project else "", None)  # another twin, or trained since
            self._report_model = model
        if project is None:
            self.tile.show_file("No twin chosen", "Choose a twin in the Library first.")
            self.file_status.setText("")
        elif not has_a_model(project):
            self.tile.show_file(f"{project.name}{TWIN_SUFFIX}", "Train the twin first.")
            self.file_status.setText(f"{project.name} has no trained model yet.")
        else:
            self.tile.show_file(f"{project.name}{TWIN_SUFFIX}", "Drag to a folder or the desktop")
            current = self.context.bundles.current(project)
            self.file_status.setText("Ready." if current else "Made when you first drag or save it (about a minute).")
            if current:
                self._show_twin_quality(current)
        self._update_controls()

    def _show_twin_quality(self, path: Path) -> None:
        worker = ThreadWorker(lambda emit, cancel: _twin_quality(path), "reading the twin's quality")
        name = self.context.selection.name
        worker.result.connect(lambda scores: self._on_twin_quality(name, scores))
        self.context.pool.start(worker)

    def _on_twin_quality(self, name: str, scores: dict | None) -> None:
        if scores is not None and name == self.context.selection.name and self.report.scores is None:
            self.report.show_scores(name, scores)
            self._update_controls()

    def _update_controls(self) -> None:
        project = self.context.selection.project
        exportable = project is not None and has_a_model(project)
        building = project is not None and self.context.bundles.building(project.name)
        self.save_button.setEnabled(exportable and not building)
        self.file_progress.setVisible(building)
        rendering = self.render_worker is not None or self._render_waiting()
        self.render_button.setEnabled(exportable and self.driving_video is not None and not rendering)
        is_sound = self.driving_video is not None and self.driving_video.suffix.lower() in AUDIO_SUFFIXES
        self.mode.setEnabled(not is_sound)
        if is_sound:
            self.mode.setCurrentIndex(self.mode.findData("speech"))
        self.side_by_side.setEnabled(self.mode.currentData() == "face")
        self.render_cancel.setEnabled(rendering)
        self.render_progress.setVisible(rendering)
        self.measure_button.setEnabled(project is not None and is_trained(project) and self.measure_worker is None)
        self.measure_progress.setVisible(self.measure_worker is not None and project is not None
                                         and self.measure_worker.twin == project.name)
        self.report_save_button.setEnabled(self.report.scores is not None)

    def _on_progress(self, name: str, activity: str, fraction) -> None:
        if name != self.context.selection.name:
            return
        if activity == "exporting":
            self.file_progress.setValue(round(fraction.done * 1000))
            self.file_status.setText(fraction.text)
        elif activity == "rendering":
            self.render_progress.setValue(round(fraction.done * 1000))
            self.render_status.setText(fraction.text)
        elif activity == "measuring":
            self.measure_progress.setValue(round(fraction.done * 1000))

    # -- the .twin file ---------------------------------------------------------------------------------

    def _file_for_drag(self) -> Path | None:
        project = self.context.selection.project
        if project is None:
            return None
        path = self.context.bundles.file_for_drag(project)
        if path is None:
            self._need_bundle(None)
        return path

    def _on_dragged(self, action) -> None:
        if action != Qt.DropAction.IgnoreAction:
            self.file_status.setText(f"Exported {self.context.selection.name}{TWIN_SUFFIX}.")

    def ask_save(self) -> None:
        project = self.context.selection.project
        if project is None:
            return
        suggested = str(Path(self.context.settings.last_folder) / f"{project.name}{TWIN_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save the twin", suggested, f"Twins (*{TWIN_SUFFIX})")
        if path:
            self.save_as(Path(path), project)  # the twin the dialog was for, though another be chosen meanwhile

    def save_as(self, path: Path, project=None) -> None:
        """Write the .twin file of `project` (the chosen twin by default) to path, made first when
        needed; saved follows."""
        path = Path(path)
        if path.suffix.lower() != TWIN_SUFFIX:
            path = path.with_name(path.name + TWIN_SUFFIX)
        self.context.settings.last_folder = str(path.parent)
        self._need_bundle(("save", path), project)

    def _need_bundle(self, then, project=None) -> None:
        project = project or self.context.selection.project
        try:
            current = self.context.bundles.ensure(project)
        except UserError as error:
            self.context.errors.report_exception(error, "exporting the twin")
            return
        if then is None:
            if current is None:
                self.file_status.setText("Getting the file ready… drag again in a moment.")
            return
        self.pending.append((project.name, *then))
        if current is not None:
            self._on_bundle_ready(project.name, str(current))
        else:
            self.file_status.setText("Getting the file ready…")
        self._update_controls()

    def _on_bundle_ready(self, name: str, path: str) -> None:
        for kind, argument in self._take_pending(name):
            if kind == "save":
                self._copy(Path(path), argument)
            elif kind == "render":
                self._start_render(name, Path(path), *argument)
        if name == self.context.selection.name:
            self.file_status.setText("Ready.")
            if self.report.scores is None:
                self._show_twin_quality(Path(path))
        self._update_controls()

    def _on_bundle_failed(self, name: str) -> None:
        if any(kind == "render" for kind, _ in self._take_pending(name)):
            self.render_status.setText("No video was written.")
        if name == self.context.selection.name:
            self.file_status.setText("The .twin file could not be made (see the error).")
        self._update_controls()

    def _take_pending(self, name: str) -> list[tuple[str, object]]:
        """The requests waiting for this twin's file, no longer waiting."""
        taken = [(kind, argument) for twin, kind, argument in self.pending if twin == name]
        self.pending = [p for p in self.pending if p[0] != name]
        return taken

    def _copy(self, bundle: Path, target: Path) -> None:
        def copy(emit, cancel) -> str:
            with open(bundle, "rb") as source:
                atomic_write_with(target, lambda out: shutil.copyfileobj(source, out))
            return str(target)

        worker = ThreadWorker(copy, "saving the .twin file")
        worker.result.connect(self._on_saved)
        self.context.pool.start(worker)

    def _on_saved(self, path: str) -> None:
        self.file_status.setText(f"Saved {path}.")
        self.saved.emit(path)
        self.message.emit(f"Saved {Path(path).name}.")

    # -- rendering ---------------------------------------------------------------------------------------

    def ask_driving_video(self) -> None:
        path = ask_open_file(self, self.context.settings, "Choose the driving video or sound",
                             f"{VIDEO_FILTER};;{AUDIO_FILTER}")
        if path:
            self.set_driving_video(path)

    def set_driving_video(self, path: Path) -> None:
        self.driving_video = Path(path)
        self.drive_label.setText(f"Driven by {self.driving_video.name}")
        self._update_controls()

    def ask_render(self) -> None:
        project = self.context.selection.project
        if project is None or self.driving_video is None:
            return
        suggested = str(Path(self.context.settings.last_folder) / f"{project.name}-{self.driving_video.stem}.mp4")
        path, _ = QFileDialog.getSaveFileName(self, "Save the video", suggested, "MP4 videos (*.mp4)")
        if path:
            self.render(Path(path), project)  # the twin the dialog was for, though another be chosen meanwhile

    def render(self, out: Path, project=None) -> None:
        """Render an MP4 of `project` (the chosen twin by default) driven by the chosen video;
        rendered follows."""
        if self.driving_video is None or self.render_worker is not None or self._render_waiting():
            return
        speak = self.mode.currentData() == "speech"
        self.render_status.setText("Waiting for the .twin file…")
        self._need_bundle(("render", (self.driving_video, Path(out).with_suffix(".mp4"),
                                      self.side_by_side.isChecked() and not speak, speak)), project)
        self._update_controls()

    def cancel_render(self) -> None:
        """Stop the render, or drop one still waiting for the twin's file."""
        if self.render_worker is not None:
            self.render_worker.cancel()
        elif self._render_waiting():
            self.pending = [p for p in self.pending if p[1] != "render"]
            self.render_status.setText("Cancelled: no video was written.")
            self._update_controls()

    def _render_waiting(self) -> bool:
        return any(kind == "render" for _twin, kind, _ in self.pending)

    def _start_render(self, name: str, bundle: Path, drive: Path, out: Path, side_by_side: bool, speak: bool) -> None:
        self.render_worker = ProcessWorker("render", (str(bundle), str(drive), str(out), side_by_side, speak),
                                           "rendering a video", name, "rendering")
        self.render_worker.result.connect(self._on_rendered)
        self.render_worker.finished.connect(self._on_render_finished)
        self.render_status.setText("Rendering…")
        self.context.pool.start(self.render_worker, describe_fraction)
        self._update_controls()

    def _on_rendered(self, path: str) -> None:
        self.render_status.setText(f"Wrote {path}.")
        self.rendered.emit(path)

    def _on_render_finished(self) -> None:
        if self.render_worker is not None and not self.render_worker.succeeded:
            self.render_status.setText("No video was written.")
        self.render_worker = None
        self._update_controls()

    # -- the report card ---------------------------------------------------------------------------------

    def measure(self) -> None:
        project = self.context.selection.project
        if project is None or self.measure_worker is not None:
            return
        self.measure_worker = ProcessWorker("evaluate", (str(project.path),), "measuring the twin's quality",
                                            project.name, "measuring")
        self.measure_worker.result.connect(lambda result, name=project.name: self._on_measured(name, result))
        self.measure_worker.finished.connect(self._on_measure_finished)
        self.context.pool.start(self.measure_worker, describe_fraction)
        self._update_controls()

    def _on_measured(self, name: str, result: dict) -> None:
        scores = scores_from_evaluation(result)
        if name == self.context.selection.name:
            self.report.show_scores(name, scores)
        self.measured.emit(scores)

    def _on_measure_finished(self) -> None:
        self.measure_worker = None
        self._update_controls()

    def ask_save_report(self) -> None:
        name = self.report.twin_name or "twin"
        suggested = str(Path(self.context.settings.last_folder) / f"{name}-report.md")
        path, _ = QFileDialog.getSaveFileName(self, "Save the report card", suggested,
                                              "Markdown (*.md);;JSON (*.json)")
        if path:
            self.report.save(Path(path))
            self.context.settings.last_folder = path


def _model_stamp(project) -> int | None:
    """When the twin's model was last written: a report card of an older model is out of date."""
    try:
        return best_checkpoint(project).stat().st_mtime_ns if project is not None else None
    except OSError:
        return None


def _twin_quality(path: Path) -> dict | None:
    import json
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("manifest.json")
        if info.file_size > 1 << 20:
            return None
        quality = json.loads(archive.read(info)).get("quality", {})
    return scores_from_twin_quality(quality)
