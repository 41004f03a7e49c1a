"""The preview page: the twin live beside the driver (a webcam, or a video file standing in), or
speaking what a microphone hears or an audio file, played aloud; frames per second, latency and
the execution provider; recalibrate; snapshot to PNG."""

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget)

from desktop_twin.errors import UserError
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.devices import AUDIO_FILTER, VIDEO_FILTER, CameraPicker, MicrophonePicker, ask_open_file
from desktop_twin.ui.images import bgr_image
from desktop_twin.ui.preview.worker import PreviewControl, PreviewFrame, run_preview, run_speech_preview
from desktop_twin.ui.widgets import controls
from desktop_twin.ui.widgets.image_view import ImageView
from desktop_twin.ui.twins import has_a_model
from desktop_twin.ui.workers import ThreadWorker

SOUND_LABEL_WIDTH = 220  # px: a long file name is shortened in the middle, not widening the page
PROVIDER_NAMES = {"CUDAExecutionProvider": "GPU (CUDA)", "CPUExecutionProvider": "CPU"}
MODES = (("face", "A camera or a video: the twin copies the face"), ("speech", "A microphone: the twin speaks"),
         ("sound", "An audio file: the twin speaks it aloud"))


class PreviewPage(QWidget):
    message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.worker: ThreadWorker | None = None
        self.control = PreviewControl()
        self.last_frame: PreviewFrame | None = None
        self.frames_shown = 0
        self._waiting_for_bundle: str | None = None
        self._frame_twin: str | None = None  # whose picture last_frame is
        self.sound_file: Path | None = None  # what the twin speaks in the "sound" mode
        self._build()
        context.selection.changed.connect(lambda _p: self._on_twin_changed())
        context.bundles.ready.connect(self._on_bundle_ready)
        context.bundles.failed.connect(self._on_bundle_failed)
        context.pool.changed.connect(self._update_controls)
        context.devices.changed.connect(self._update_controls)  # Start waits for a probe of the devices
        self._on_twin_changed()

    def _build(self) -> None:
        self.mode = QComboBox()
        self.mode.setAccessibleName("What drives the twin")
        for value, text in MODES:
            self.mode.addItem(text, value)
        self.mode.currentIndexChanged.connect(lambda _i: self._on_mode())
        self.source = CameraPicker(self.context.devices, self.context.settings.preview_source, "Driver camera")
        self.source.source_changed.connect(self._on_source)
        self.microphone = MicrophonePicker(self.context.devices, self.context.settings.microphone)
        self.sound_label = QLabel("No file chosen")
        self.sound_label.setAccessibleName("Sound file")
        self.sound_button = controls.button("Choose…", "Choose an audio file for the twin to speak")
        self.sound_button.clicked.connect(self.ask_sound_file)
        self.sound_row = QWidget()
        sound_layout = QHBoxLayout(self.sound_row)
        sound_layout.setContentsMargins(0, 0, 0, 0)
        sound_layout.addWidget(self.sound_label, 1)
        sound_layout.addWidget(self.sound_button)
        self.start_button = controls.button("Start preview", "Start the live preview", "Ctrl+L")
        self.stop_button = controls.button("Stop", "Stop the live preview", "Ctrl+.")
        self.recalibrate_button = controls.button("Recalibrate neutral", "Take the driver's neutral face again", "Ctrl+K")
        self.snapshot_button = controls.button("Snapshot…", "Save the twin's picture as PNG", "Ctrl+Shift+S")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.recalibrate_button.clicked.connect(self.recalibrate)
        self.snapshot_button.clicked.connect(self.ask_snapshot)
        self.driver_view = ImageView("Driver", "The driving camera shows here.")
        self.twin_view = ImageView("Twin", "The twin shows here, copying the driver.")
        self.fps_label = QLabel("–")
        self.fps_label.setAccessibleName("Frames per second")
        self.latency_label = QLabel("–")
        self.latency_label.setAccessibleName("Latency")
        self.provider_label = QLabel("–")
        self.provider_label.setAccessibleName("Execution provider")
        self.face_label = QLabel("–")
        self.face_label.setAccessibleName("Driver face")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Preview status")
        figures = QGroupBox("Live")
        form = QFormLayout(figures)
        self.form = form
        form.addRow("Driven by", self.mode)
        form.addRow("Driver", self.source)
        form.addRow("Microphone", self.microphone)
        form.addRow("Sound", self.sound_row)
        form.addRow("Frames per second", self.fps_label)
        form.addRow("Latency", self.latency_label)
        form.addRow("Runs on", self.provider_label)
        form.addRow("Driver's face", self.face_label)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.recalibrate_button, self.snapshot_button):
            buttons.addWidget(button)
        buttons.addStretch()
        views = QHBoxLayout()
        views.addWidget(self.driver_view)
        views.addWidget(self.twin_view)
        right = QVBoxLayout()
        right.addWidget(figures)
        right.addWidget(self.status)
        right.addStretch()
        grid = QGridLayout(self)
        grid.addLayout(views, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.addLayout(buttons, 1, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 1)
        self._on_mode()

    def speaking(self) -> bool:
        """A voice drives the twin: a microphone's or a file's."""
        return self.mode.currentData() in ("speech", "sound")

    def _on_mode(self) -> None:
        mode = self.mode.currentData()
        self.form.setRowVisible(self.source, mode == "face")
        self.form.setRowVisible(self.microphone, mode == "speech")
        self.form.setRowVisible(self.sound_row, mode == "sound")
        self.driver_view.clear({"face": "The driving camera shows here.", "speech": "The microphone drives the twin.",
                                "sound": "The sound file drives the twin."}[mode])
        project = self.context.selection.project
        if self.worker is None and project is not None and has_a_model(project):
            self.status.setText(self._ready_text(project.name))
        self._update_controls()

    def _ready_text(self, name: str) -> str:
        mode = self.mode.currentData()
        if mode == "sound":
            return (f"Start shows {name} speaking {self.sound_file.name}, played aloud." if self.sound_file
                    else f"Choose a sound for {name} to speak.")
        return (f"Start shows {name} live, speaking what the microphone hears." if mode == "speech"
                else f"Start shows {name} live, copying the driver.")

    def showEvent(self, event) -> None:
        self.context.devices.ensure_probed()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        if not event.spontaneous():  # another page, not a minimised window: free the camera and the CPU
            self.stop()
        super().hideEvent(event)

    def _on_source(self, source: str) -> None:
        self.context.settings.preview_source = source
        self._update_controls()

    def _on_twin_changed(self) -> None:
        name = self.context.selection.name
        if self.worker is not None and self.worker.twin != name:
            self.stop()
        if self._waiting_for_bundle not in (None, name):
            self._waiting_for_bundle = None  # its file is still made, but the preview does not start by itself
        if self.last_frame is not None and self._frame_twin != name:
            self.last_frame = None  # another twin's picture: not shown, not saved under this twin's name
            self.driver_view.clear()
            self.twin_view.clear()
        project = self.context.selection.project
        if project is None:
            self.status.setText("Choose a twin in the Library first.")
        elif self.worker is None and not has_a_model(project):
            self.status.setText(f"{project.name} has no trained model yet: train it on the Train page first.")
        elif self.worker is None:
            self.status.setText(self._ready_text(project.name))
        self._update_controls()

    def _update_controls(self) -> None:
        running = self.worker is not None
        project = self.context.selection.project
        # A microphone: the default will do, once the devices are read (reading them restarts the sound system).
        # A sound file plays on a speaker: that too waits for the devices (a rescan would end its stream).
        driver_chosen = {"face": bool(self.source.source()), "speech": not self.context.devices.probing,
                         "sound": self.sound_file is not None and not self.context.devices.probing,
                         }[self.mode.currentData()]
        self.start_button.setEnabled(project is not None and has_a_model(project) and not running
                                     and self._waiting_for_bundle is None and driver_chosen)
        self.stop_button.setEnabled(running or self._waiting_for_bundle is not None)
        self.recalibrate_button.setEnabled(running and not self.speaking())
        self.snapshot_button.setEnabled(self.last_frame is not None)
        for widget in (self.mode, self.source, self.microphone, self.sound_button):
            widget.setEnabled(not running and self._waiting_for_bundle is None)  # what Start chose stays

    # -- running ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the live twin; its .twin file is made first when it is missing or out of date."""
        project = self.context.selection.project
        if project is None or self.worker is not None:
            return
        try:
            path = self.context.bundles.ensure(project)
        except UserError as error:
            self.status.setText(str(error))
            return
        if path is None:
            self._waiting_for_bundle = project.name
            self.status.setText(f"Getting {project.name} ready for the live preview (a minute or so, once)…")
            self._update_controls()
            return
        self._run(project.name, path)

    def _on_bundle_ready(self, name: str, path: str) -> None:
        if name == self._waiting_for_bundle:
            self._waiting_for_bundle = None
            if name == self.context.selection.name:
                self._run(name, Path(path))
            self._update_controls()

    def _on_bundle_failed(self, name: str) -> None:
        if name == self._waiting_for_bundle:
            self._waiting_for_bundle = None
            self.status.setText(f"{name} could not be made ready for the preview.")
            self._update_controls()

    def _run(self, name: str, path: Path) -> None:
        self._frame_twin = name
        self.control = PreviewControl()
        control, source, microphone = self.control, self.source.source(), self.microphone.microphone()
        job = {"face": partial(run_preview, path, source, control),  # then called as job(emit, cancel)
               "speech": partial(run_speech_preview, path, microphone, control),
               "sound": partial(run_speech_preview, path, "", control, sound_file=self.sound_file),
               }[self.mode.currentData()]
        self.worker = ThreadWorker(job, "running the live preview", name, "previewing")
        self.worker.progress.connect(self._on_frame)
        self.worker.result.connect(self.status.setText)
        self.worker.finished.connect(self._on_finished)
        self.frames_shown = 0
        self.status.setText("Starting…")
        self.context.pool.start(self.worker)
        self._update_controls()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
        elif self._waiting_for_bundle is not None:
            self._waiting_for_bundle = None  # no preview starts when the file is ready
            self.status.setText("Stopped.")
            self._update_controls()

    def recalibrate(self) -> None:
        self.control.recalibrate()
        self.message.emit("Keep a relaxed, neutral face for a second…")

    def _on_frame(self, frame: PreviewFrame) -> None:
        if self.worker is None or self.worker.cancel_requested.is_set():
            return  # on its way when the preview stopped: perhaps another twin's face, not to be shown as this one
        self.last_frame = frame
        self.frames_shown += 1
        spoken = frame.driver is None
        if not spoken:
            self.driver_view.set_image(frame.driver)
        self.twin_view.set_image(frame.twin)
        self.fps_label.setText(f"{frame.fps:.1f}")
        self.latency_label.setText(_latency_text(frame.latency_ms, spoken))
        self.provider_label.setText(", ".join(f"{model}: {PROVIDER_NAMES.get(p, p)}"
                                              for model, p in frame.providers.items()))
        self.face_label.setText("none: the voice drives the twin" if spoken else
                                ("found" if frame.face_found else "not found")
                                + ("" if frame.calibrated else ", learning the neutral face…"))
        if self.frames_shown == 1:
            self.status.setText("Live.")
            self._update_controls()
        self.control.frame_wanted.set()

    def _on_finished(self) -> None:
        worker, self.worker = self.worker, None
        self.control.frame_wanted.set()
        if worker is not None and worker.twin != self.context.selection.name:
            self._on_twin_changed()  # another twin was chosen while this preview stopped: say where it stands
            return
        if worker is not None and worker.failed_report is not None:  # a Stop pressed meanwhile included
            self.status.setText("The preview stopped: " + worker.failed_report.message)
        self._update_controls()

    # -- a sound to speak --------------------------------------------------------------------------------

    def ask_sound_file(self) -> None:
        path = ask_open_file(self, self.context.settings, "Choose a sound for the twin to speak",
                             f"{AUDIO_FILTER};;{VIDEO_FILTER}")
        if path:
            self.set_sound_file(path)

    def set_sound_file(self, path: Path) -> None:
        self.sound_file = Path(path)
        metrics = self.sound_label.fontMetrics()
        self.sound_label.setText(metrics.elidedText(self.sound_file.name, Qt.TextElideMode.ElideMiddle,
                                                    SOUND_LABEL_WIDTH))
        self.sound_label.setToolTip(str(self.sound_file))
        self._on_mode()

    # -- snapshot ---------------------------------------------------------------------------------------

    def ask_snapshot(self) -> None:
        if self.last_frame is None:
            return
        name = self.context.selection.name or "twin"
        suggested = str(Path(self.context.settings.last_folder) / f"{name}-snapshot.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save a snapshot of the twin", suggested, "PNG images (*.png)")
        if path:
            try:
                self.snapshot(Path(path))
            except UserError as error:
                self.context.errors.report_exception(error, "saving a snapshot")

    def snapshot(self, path: Path) -> Path:
        """Save the twin's latest frame, full size, as PNG."""
        path = Path(path).with_suffix(".png")
        if self.last_frame is None or not bgr_image(self.last_frame.twin_bgr).save(str(path), "PNG"):
            raise UserError(f"Could not save the snapshot to {path}.")
        self.context.settings.last_folder = str(path.parent)
        self.message.emit(f"Saved {path.name}.")
        return path


def _latency_text(latency_ms: float, spoken: bool) -> str:
    if not spoken:
        return f"{latency_ms:.0f} ms per frame"
    if latency_ms < 0:  # a file's frame, made before its sound reached the speaker
        return f"{-latency_ms:.0f} ms ahead of the voice"
    return f"{latency_ms:.0f} ms after the voice"
