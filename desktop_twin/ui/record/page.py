"""The record page: camera and microphone, the consent step, then the guided take with a live
preview (face mesh drawn on it), level meter, prompt, coverage and quality warnings; and a take
a crash left out of the footage, offered back."""

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar,
    QPushButton, QVBoxLayout, QWidget)

from desktop_twin.capture.prompts import GuidedScript, load_script
from desktop_twin.errors import UserError
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.devices import VIDEO_FILTER, CameraPicker, MicrophonePicker, ask_open_file
from desktop_twin.ui.library.imports import TwinImporter
from desktop_twin.ui.record.coverage_view import CoverageView
from desktop_twin.ui.record.worker import RecordOutcome, RecordRequest, RecordView, record
from desktop_twin.ui.widgets.controls import confirm_deleting
from desktop_twin.ui.widgets.image_view import ImageView
from desktop_twin.ui.workers import ThreadWorker

DEVICE_ACTIVITIES = ("recording", "previewing")  # jobs holding a camera or a microphone
LEVEL_FLOOR_DBFS = -60
LENGTHS = ((None, "The whole script"), (120.0, "2 minutes"), (60.0, "1 minute"), (30.0, "30 seconds"))


class RecordPage(QWidget):
    recorded = Signal(str)  # the twin's name: its new footage is being prepared
    message = Signal(str)

    def __init__(self, context: AppContext, importer: TwinImporter, script: GuidedScript | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.importer = importer
        self.script = script or load_script()
        self.worker: ThreadWorker | None = None
        self.consent_needed = True
        self._consent_for: str | None = None  # the twin whose consent box is shown
        self.last_view: RecordView | None = None
        self.left_take = None  # capture.left_takes.LeftTake offered back, if any
        self.confirmation: QMessageBox | None = None
        self._build()
        context.selection.changed.connect(lambda _p: self._on_twin_changed())
        context.pool.changed.connect(self._show_left_take)
        context.pool.changed.connect(self._update_buttons)
        context.devices.changed.connect(self._update_buttons)
        self._on_twin_changed()

    # -- layout --------------------------------------------------------------------------------------

    def _build(self) -> None:
        settings = self.context.settings
        self.camera = CameraPicker(self.context.devices, settings.camera, "Camera")
        self.microphone = MicrophonePicker(self.context.devices, settings.microphone)
        self.length = QComboBox()
        self.length.setAccessibleName("Length of the take")
        for seconds, label in LENGTHS:
            text = f"{label} ({_clock(self.script.seconds)})" if seconds is None else label
            self.length.addItem(text, seconds)
        self.camera.source_changed.connect(self._on_camera)
        self.microphone.name_changed.connect(self._on_microphone)
        devices = QGroupBox("Devices")
        form = QFormLayout(devices)
        form.addRow("Camera", self.camera)
        form.addRow("Microphone", self.microphone)
        form.addRow("Length", self.length)
        self.look_again = QPushButton("Look again")
        self.look_again.setToolTip("Look for cameras and microphones again (one plugged in since the app started)")
        self.look_again.clicked.connect(self.context.devices.refresh)
        form.addRow("", self.look_again)

        self.consent_box = QGroupBox("Consent")
        self.consent_text = QLabel()
        self.consent_text.setWordWrap(True)
        self.consent_agree = QCheckBox()
        self.consent_agree.setAccessibleName("I agree to record the consent statement")
        self.consent_agree.toggled.connect(self._update_buttons)
        consent_layout = QVBoxLayout(self.consent_box)
        consent_layout.addWidget(self.consent_text)
        consent_layout.addWidget(self.consent_agree)

        self.left_box = QGroupBox("A take not yet in the footage")
        self.left_text = QLabel()
        self.left_text.setWordWrap(True)
        self.left_text.setAccessibleName("A take not yet in the footage")
        self.add_left_button = QPushButton("Add it to the footage")
        self.add_left_button.setAccessibleName("Add the take to the twin's footage")
        self.add_left_button.clicked.connect(self.add_left_take)
        self.discard_left_button = QPushButton("Discard it…")
        self.discard_left_button.setAccessibleName("Discard the take")
        self.discard_left_button.clicked.connect(self.ask_discard_left_take)
        left_buttons = QHBoxLayout()
        left_buttons.addWidget(self.add_left_button)
        left_buttons.addWidget(self.discard_left_button)
        left_buttons.addStretch()
        left_layout = QVBoxLayout(self.left_box)
        left_layout.addWidget(self.left_text)
        left_layout.addLayout(left_buttons)
        self.left_box.hide()

        self.prompt_box = QGroupBox("Now")
        self.instruction = QLabel("Press Start recording when you are ready.")
        self.instruction.setWordWrap(True)
        self.instruction.setAccessibleName("Instruction")
        self.sentence = QLabel()
        self.sentence.setWordWrap(True)
        self.sentence.setAccessibleName("Sentence to read")
        font = self.sentence.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.sentence.setFont(font)
        prompt_layout = QVBoxLayout(self.prompt_box)
        prompt_layout.addWidget(self.instruction)
        prompt_layout.addWidget(self.sentence)

        self.coverage = CoverageView()
        coverage_box = QGroupBox("What the twin needs")
        QVBoxLayout(coverage_box).addWidget(self.coverage)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setAccessibleName("Quality warnings")
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)

        self.preview = ImageView("Camera preview", "The camera's picture shows here while recording.")
        self.level = QProgressBar()
        self.level.setRange(LEVEL_FLOOR_DBFS, 0)
        self.level.setFormat("Sound level %v dBFS")
        self.level.setAccessibleName("Sound level")
        self.level.setValue(LEVEL_FLOOR_DBFS)
        self.phase_progress = QProgressBar()
        self.phase_progress.setRange(0, 1000)
        self.phase_progress.setAccessibleName("Recording progress")
        self.phase_progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Recording status")

        self.start_button = QPushButton("Start recording")
        self.start_button.setAccessibleName("Start recording")
        self.start_button.setShortcut(QKeySequence("Ctrl+R"))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setAccessibleName("Stop recording")
        self.stop_button.setShortcut(QKeySequence("Ctrl+."))
        self.add_button = QPushButton("Add a video…")
        self.add_button.setAccessibleName("Add a video file to the twin's footage")
        self.add_button.setToolTip("Add a video of yourself filmed earlier to the twin's footage")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.add_button.clicked.connect(self.ask_add_video)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch()
        buttons.addWidget(self.add_button)

        left = QVBoxLayout()
        left.addWidget(self.preview, 1)
        left.addWidget(self.level)
        left.addWidget(self.phase_progress)
        left.addLayout(buttons)
        left.addWidget(self.status)
        right = QVBoxLayout()
        for widget in (self.left_box, devices, self.consent_box, self.prompt_box, coverage_box, self.warnings):
            right.addWidget(widget)
        right.addStretch()
        grid = QGridLayout(self)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)

    # -- state ----------------------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        self.context.devices.ensure_probed()
        super().showEvent(event)
        self._show_left_take()
        self._update_buttons()

    def _on_twin_changed(self) -> None:
        project = self.context.selection.project
        if project is None or project.name != self._consent_for:
            self.consent_agree.setChecked(False)  # each person agrees for themselves
            self._consent_for = project.name if project else None
        if project is None:
            self.consent_text.setText("Choose or create a twin in the Library first.")
            self.consent_agree.hide()
        else:
            from desktop_twin.capture.consent import find_consent

            record = find_consent(project.recordings_dir)
            self.consent_needed = record is None
            if record is None:
                self.consent_text.setText(
                    "Before the first take you read this statement aloud, looking into the camera. It is kept "
                    f"with the twin, apart from its footage:\n\n“{self.script.consent_statement(project.name)}”")
                self.consent_agree.setText(f"I am {project.name}, the person on camera, and I agree.")
            else:
                self.consent_text.setText(f"{project.name}'s consent was recorded on {record.recorded[:10]}; "
                                          "it is kept with the twin.")
            self.consent_agree.setVisible(record is None)
        self._show_left_take()
        self._update_buttons()

    def _show_left_take(self) -> None:
        """Offer back a take the twin's footage lacks (the app closed mid-take, say), while it is idle."""
        project = self.context.selection.project
        if not self.isVisible():
            return  # looked for again when the page shows (showEvent), not on every job elsewhere
        if self.worker is not None or project is None or self.context.pool.activity(project.name):
            return  # a take in progress is not a left one; a job on the twin may be adding it
        from desktop_twin.capture.left_takes import left_takes

        try:
            project.reload()  # a take added since (by the command line, say) is in its footage now
            takes = left_takes(project)
        except (OSError, UserError):
            takes = []
        self.left_take = takes[0] if takes else None
        self.left_box.setVisible(self.left_take is not None)
        if self.left_take is not None:
            more = f" There are {len(takes) - 1} more after it." if len(takes) > 1 else ""
            self.left_text.setText(f"{project.name}'s recordings keep {self.left_take.describe()}, never added to "
                                   "the footage: the app closed in the middle of it, or it could not be added when "
                                   f"it ended.{more}")

    def _update_buttons(self) -> None:
        recording = self.worker is not None
        project = self.context.selection.project
        busy = project is not None and self.context.pool.activity(project.name) is not None
        # Not while the devices are probed: the probe opens every camera and restarts the sound system.
        ready = (project is not None and not busy and bool(self.camera.source()) and not self.context.devices.probing
                 and (not self.consent_needed or self.consent_agree.isChecked()))
        self.start_button.setEnabled(ready and not recording)
        self.stop_button.setEnabled(recording)
        self.add_button.setEnabled(project is not None and not busy and not recording)
        for button in (self.add_left_button, self.discard_left_button):
            button.setEnabled(self.left_take is not None and not busy and not recording)
        for widget in (self.camera, self.microphone, self.length, self.consent_agree):
            widget.setEnabled(not recording)
        # Looking again restarts the sound system: never while a camera or microphone is in use.
        in_use = any(w.activity in DEVICE_ACTIVITIES for w in self.context.pool.busy())
        self.look_again.setEnabled(not recording and not in_use and not self.context.devices.probing)

    def _on_camera(self, source: str) -> None:
        self.context.settings.camera = source
        self._update_buttons()

    def _on_microphone(self, name: str) -> None:
        self.context.settings.microphone = name

    def set_take_seconds(self, seconds: float | None) -> None:
        index = self.length.findData(seconds)
        if index < 0:
            self.length.addItem(f"{seconds:g} seconds", seconds)
            index = self.length.count() - 1
        self.length.setCurrentIndex(index)

    def ask_add_video(self) -> None:
        path = ask_open_file(self, self.context.settings, "Add a video to the twin's footage", VIDEO_FILTER)
        if path:
            self.add_video(path)

    def add_video(self, path: Path) -> None:
        """Add a video (of the same person) to the chosen twin's footage; it is prepared again after."""
        name = self.context.selection.name
        if name is None:
            return
        self.importer.add_video(name, Path(path))
        self.status.setText(f"Adding {Path(path).name} to {name}'s footage, then preparing it…")

    def add_left_take(self) -> None:
        name, take = self.context.selection.name, self.left_take
        if name is None or take is None:
            return
        self.importer.add_take(name, take)
        self.left_box.hide()
        self.status.setText(f"Adding the take to {name}'s footage, then preparing it…")

    def ask_discard_left_take(self) -> QMessageBox | None:
        take = self.left_take
        if take is None:
            return None
        self.confirmation = confirm_deleting(
            self, "Discard take", f"Discard {take.describe()}? Its recording is deleted from this computer.",
            "Discard", "Confirm discarding the take", lambda: self._discard(take))
        return self.confirmation

    def _discard(self, take) -> None:
        from desktop_twin.capture.left_takes import discard_take

        name = self.context.selection.name
        try:
            if name is not None and self.context.pool.activity(name):  # begun while the question was open
                raise UserError(f"{name} is busy ({self.context.pool.activity(name)}); discard the take when "
                                "that is done.")
            try:
                discard_take(take)
            except OSError as error:
                raise UserError(f"Cannot discard the take in {take.tracks}: {error.strerror or error}.") from None
        except UserError as error:
            self.context.errors.report_exception(error, "discarding a take")
        else:
            self.status.setText("The take was discarded.")
        self._on_twin_changed()

    # -- recording ------------------------------------------------------------------------------------

    def start(self) -> ThreadWorker | None:
        project = self.context.selection.project
        if project is None or self.worker is not None or not self.start_button.isEnabled():
            return None
        request = RecordRequest(project.name, self.camera.source(), self.microphone.microphone(), self.script,
                                self.length.currentData())
        self.worker = ThreadWorker(lambda emit, cancel: record(request, emit, cancel), "recording",
                                   project.name, "recording")
        self.worker.progress.connect(self._on_view)
        self.worker.result.connect(self._on_recorded)
        self.worker.finished.connect(self._on_finished)
        self.coverage.clear()
        self.status.setText("Starting the camera and the microphone…")
        self.context.pool.start(self.worker)
        self._update_buttons()
        return self.worker

    def stop(self) -> None:
        """Stop the take; what was recorded so far is kept and added to the twin."""
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Stopping; keeping what was recorded…")

    def _on_view(self, view: RecordView) -> None:
        self.last_view = view
        if view.image is not None:
            self.preview.set_image(view.image)
        self.level.setValue(max(LEVEL_FLOOR_DBFS, round(view.level_dbfs)) if math.isfinite(view.level_dbfs)
                            else LEVEL_FLOOR_DBFS)
        self.phase_progress.setValue(round(view.fraction * 1000))
        if view.phase == "combining":
            self.status.setText("Turning the take into one video file…")
            self._clear_live_readings()
            return
        if view.prompt_changed or not self.instruction.text():
            label = "Consent: " if view.phase == "consent" else ""
            self.instruction.setText(label + view.instruction)
            self.sentence.setText(view.text)
        self.status.setText(f"{'Consent' if view.phase == 'consent' else 'Recording'} {_clock(view.seconds)}"
                            + (f" — {view.audio_overflows} sound blocks lost (the computer is busy)"
                               if view.audio_overflows else ""))
        self.warnings.setText("\n".join(f"⚠ {w}" for w in view.warnings))
        if view.coverage is not None:
            self.coverage.show_coverage(view.coverage, view.coverage_score)

    def _on_recorded(self, outcome: RecordOutcome) -> None:
        name = self.worker.twin if self.worker else self.context.selection.name
        self.status.setText(f"{outcome.message} Added {outcome.seconds:.1f} s to {name}'s footage; "
                            "preparing it for training…".strip())
        self.instruction.setText("Recorded. You can record more, or go on to Train once it is prepared.")
        self.sentence.clear()
        self.context.selection.reload()
        self.importer.prepare(name)
        self.recorded.emit(name)

    def _clear_live_readings(self) -> None:
        """The take's warnings and sound level are about a take no longer running."""
        self.warnings.clear()
        self.level.setValue(LEVEL_FLOOR_DBFS)

    def _on_finished(self) -> None:
        self._clear_live_readings()
        if self.worker is not None and self.worker.failed_report is not None:
            self.status.setText(self.worker.failed_report.message)
            self.instruction.clear()  # the prompt of a take that ended without footage is no longer current
            self.sentence.clear()
            self.phase_progress.setValue(0)
        self.worker = None
        self._on_twin_changed()


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
