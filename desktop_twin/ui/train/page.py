"""The train page. Training runs in its own process (workers.ProcessWorker), which writes a
checkpoint when it is paused, cancelled or the app closes; starting again resumes from it."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QSpinBox,
    QVBoxLayout, QWidget)

from desktop_twin.training.presets import DEFAULT_PRESET, time_limit
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.images import rgb_image
from desktop_twin.ui.library.imports import TwinImporter
from desktop_twin.ui.process_jobs import TrainOutcome, TrainUpdate
from desktop_twin.ui.twins import can_train
from desktop_twin.ui.widgets.curve_plot import CurvePlot
from desktop_twin.ui.widgets import controls
from desktop_twin.ui.widgets.image_view import ImageView
from desktop_twin.ui.workers import ProcessWorker

PRESETS = (("draft", "Draft — 128 px, for a slow CPU"), ("standard", "Standard — 256 px, the default"),
           ("high", "High — a GPU and patience"))
DEVICES = (("auto", "Automatic"), ("cpu", "CPU"))  # until the real list (with the GPU's name) arrives
FOOTAGE_ACTIVITIES = ("importing", "preparing", "recording")
FINISHED = {"finished": "Training finished", "converged": "Training stopped: held-out quality stopped improving",
            "time limit": "Training reached its time limit", "cancelled": "Training stopped"}


class TrainPage(QWidget):
    trained = Signal(str)  # the twin's name: a run ended with a model saved
    message = Signal(str)

    def __init__(self, context: AppContext, importer: TwinImporter, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.importer = importer
        self.worker: ProcessWorker | None = None
        self.state = "idle"  # idle, running, pausing, paused, cancelling
        self.last_update: TrainUpdate | None = None
        self.outcome: TrainOutcome | None = None
        self.run_ended = False  # a run of the shown twin ended: what it said stays until the next
        self._devices_probed = False
        self._summary_for: str | None = None
        self._checkpoint_preset: str | None = None  # the last run's, once its checkpoint is read
        self._shown_twin: str | None = None
        self._build()
        context.selection.changed.connect(lambda _p: self._on_twin_changed())
        context.pool.changed.connect(self._on_jobs_changed)
        self._on_twin_changed()

    # -- layout --------------------------------------------------------------------------------------

    def _build(self) -> None:
        settings = self.context.settings
        self.preset = _combo("Training preset", PRESETS, settings.preset or DEFAULT_PRESET)
        self.device = _combo("Training device", DEVICES, settings.train_device)
        self.preset.currentIndexChanged.connect(lambda _i: setattr(settings, "preset", self.preset.currentData()))
        self.preset.currentIndexChanged.connect(lambda _i: self._update_controls())
        self.device.currentIndexChanged.connect(lambda _i: setattr(settings, "train_device", self.device.currentData()))
        self.device.currentIndexChanged.connect(lambda _i: self._suggest_choices())
        self.steps = QSpinBox()
        self.steps.setRange(0, 1_000_000)
        self.steps.setSpecialValueText("as the preset says")
        self.steps.setAccessibleName("Most training steps")
        self.steps.setValue(settings.train_steps)
        self.steps.valueChanged.connect(lambda value: setattr(settings, "train_steps", value))
        self.steps.valueChanged.connect(lambda _v: self._suggest_choices())  # a step count needs no time limit
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 24 * 60)
        self.minutes.setSpecialValueText("no limit")
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Time limit in minutes")
        self.minutes.setValue(time_limit(settings.train_minutes, settings.train_steps or None, on_gpu=False) or 0)
        self.minutes.valueChanged.connect(lambda value: setattr(settings, "train_minutes", value))
        self.speech = QCheckBox("Then learn to speak from the footage's sound")
        self.speech.setAccessibleName("Learn to speak from the footage's sound after training")
        self.speech.setChecked(settings.learn_to_speak)
        self.speech.toggled.connect(lambda on: setattr(settings, "learn_to_speak", on))
        self.start_over = QCheckBox("Start over from the base model (ignore the last checkpoint)")
        self.start_over.setAccessibleName("Start over from the base model, ignoring the last checkpoint")
        self.start_over.toggled.connect(lambda _: self._update_controls())  # Resume or Start
        options = QGroupBox("Training")
        form = QFormLayout(options)
        form.addRow("Preset", self.preset)
        form.addRow("Device", self.device)
        form.addRow("Stop after steps", self.steps)
        form.addRow("Stop after", self.minutes)
        form.addRow(self.speech)
        form.addRow(self.start_over)

        self.start_button = controls.button("Start training", "Start training", "Ctrl+T")
        self.pause_button = controls.button("Pause", "Pause training", "Ctrl+P")
        self.resume_button = controls.button("Resume", "Resume training", "Ctrl+Shift+T")
        self.cancel_button = controls.button("Cancel", "Cancel training", "Ctrl+.")
        self.start_button.clicked.connect(lambda: self.start())
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.cancel_button.clicked.connect(self.cancel)
        self.prepare_button = controls.button("Prepare the footage", "Prepare the twin's footage for training")
        self.prepare_button.clicked.connect(self.prepare)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.resume_button, self.cancel_button,
                       self.prepare_button):
            buttons.addWidget(button)
        buttons.addStretch()

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Training progress")
        self.progress.setFormat("Not started")
        self.device_label = QLabel()
        self.device_label.setAccessibleName("Device in use")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Training status")
        self.loss_plot = CurvePlot("Loss", accessible_name="Training loss curve")
        self.quality_plot = CurvePlot("Held-out PSNR", " dB", "Held-out quality curve")
        self.samples = ImageView("Real frames (top) and the twin (bottom)",
                                 "Real frames above the twin's renderings appear at each evaluation.")

        left = QVBoxLayout()
        left.addWidget(options)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.device_label)
        left.addWidget(self.status)
        left.addStretch()
        right = QVBoxLayout()
        right.addWidget(self.samples, 2)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.quality_plot)
        right.addLayout(plots, 1)
        grid = QGridLayout(self)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._devices_probed:
            self._devices_probed = True
            worker = ProcessWorker("training_devices", (), "looking for a GPU", cancel_grace=0)
            worker.result.connect(self._on_devices)
            self.context.pool.start(worker)
        self._load_summary()

    def _on_devices(self, devices: list[tuple[str, str]]) -> None:
        wanted = self.device.currentData()
        self.device.blockSignals(True)
        self.device.clear()
        for value, label in devices:
            self.device.addItem(label, value)
        self.device.setCurrentIndex(max(self.device.findData(wanted), 0))
        self.device.blockSignals(False)
        self._suggest_choices()

    def _suggest_choices(self) -> None:
        """Until the person chooses them, show the last run's preset (so it resumes), else the default,
        and the time limit that suits the device training will use and the step count. A suggestion,
        not a choice: nothing is stored."""
        settings = self.context.settings
        if not settings.preset:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(self.preset.findData(self._checkpoint_preset or DEFAULT_PRESET))
            self.preset.blockSignals(False)
        if settings.train_minutes is None:
            on_gpu = self.device.findData("cuda") >= 0 and self.device.currentData() != "cpu"
            self.minutes.blockSignals(True)
            self.minutes.setValue(time_limit(None, self.steps.value() or None, on_gpu) or 0)
            self.minutes.blockSignals(False)

    # -- state ------------------------------------------------------------------------------------------

    def _on_twin_changed(self) -> None:
        if self.state in ("running", "pausing", "cancelling"):
            self._update_controls()
            return
        project = self.context.selection.project
        if project is None or project.name != self._shown_twin:
            self._shown_twin = project.name if project else None
            self.state = "idle"
            self.loss_plot.clear()
            self.quality_plot.clear()
            self.samples.clear()
            self.device_label.clear()
            self.progress.setValue(0)
            self.progress.setFormat("Not started")
            self._summary_for = None
            self._checkpoint_preset = None
            self.outcome, self.run_ended = None, False
        elif self.state != "idle" or self.run_ended:
            self._update_controls()  # the same twin after a run: keep its curves and what it said
            return
        footage_job = self._footage_job(project)
        if project is None:
            self.status.setText("Choose a twin in the Library first.")
        elif footage_job:
            self.status.setText(f"{project.name}'s footage is busy ({footage_job}): training can start when "
                                "that is done.")
        elif project.manifest.status == "recorded":
            self.status.setText(f"{project.name}'s footage is not prepared for training yet (or changed since): "
                                "Prepare the footage, then train.")
        elif not can_train(project):
            self.status.setText(f"{project.name} has no footage yet: record or import a video first.")
        elif (project.checkpoints_dir / "latest.pt").is_file():
            interrupted = self.context.settings.interrupted_training == project.name
            if interrupted:
                self.state = "paused"
            self.status.setText(f"{project.name}'s training {'was interrupted' if interrupted else 'stopped'} at a "
                                "checkpoint; starting again resumes from it.")
            if self.isVisible():
                self._load_summary()
        else:
            self.status.setText(f"{project.name} is ready to train.")
        self._update_controls()

    def _footage_job(self, project) -> str | None:
        """Work that changes the twin's footage, which keeps training and preparing from starting; a preview
        or an export need not."""
        if project is None:
            return None
        return next(iter(self.context.pool.activities(project.name) & set(FOOTAGE_ACTIVITIES)), None)

    def _on_jobs_changed(self) -> None:
        if self._footage_job(self.context.selection.project):
            self.run_ended = False  # its footage is changing: what the last run said no longer holds
        if self.state == "idle" and not self.run_ended:
            self._on_twin_changed()  # a job on its footage began or ended: what the page says moves with it
        else:
            self._update_controls()

    def _update_controls(self) -> None:
        project = self.context.selection.project
        footage_busy = self._footage_job(project) is not None
        trainable = project is not None and can_train(project) and not footage_busy
        # Another preset than the checkpoint's starts over (the trainer says so): no "Resume" then.
        resumable = (trainable and (project.checkpoints_dir / "latest.pt").is_file()
                     and self._checkpoint_preset in (None, self.preset.currentData()))
        self.start_button.setText("Resume training" if resumable and not self.start_over.isChecked()
                                  else "Start training")
        self.start_button.setEnabled(trainable and self.state == "idle")
        self.pause_button.setEnabled(self.state == "running")
        self.resume_button.setEnabled(trainable and self.state == "paused")
        self.cancel_button.setEnabled(self.state in ("running", "paused"))
        self.prepare_button.setVisible(project is not None and project.manifest.status == "recorded")
        self.prepare_button.setEnabled(not footage_busy)
        for widget in (self.preset, self.device, self.steps, self.minutes, self.speech, self.start_over):
            widget.setEnabled(self.state == "idle")

    def _load_summary(self) -> None:
        """The curves of the last run, from its checkpoint (in a process: reading it needs torch)."""
        project = self.context.selection.project
        if project is None or self.state in ("running", "pausing") or self._summary_for == project.name:
            return
        if not (project.checkpoints_dir / "latest.pt").is_file():
            return
        self._summary_for = project.name
        worker = ProcessWorker("checkpoint_summary", (str(project.path),), "reading the last checkpoint",
                               cancel_grace=0)
        worker.result.connect(lambda summary, name=project.name: self._on_summary(name, summary))
        self.context.pool.start(worker)

    def _on_summary(self, name: str, summary: dict) -> None:
        if name != self.context.selection.name or not summary or self.state not in ("idle", "paused"):
            return  # another twin, or a run began while the checkpoint was read: its curves are the run's
        self._checkpoint_preset = summary["preset"] or None
        self._suggest_choices()
        self._update_controls()
        if self.quality_plot.series:
            return
        for entry in summary["history"]:
            self._add_held_out(entry["step"], entry)
        self.progress.setRange(0, max(summary["total_steps"], 1))
        self.progress.setValue(summary["step"])
        self.progress.setFormat(f"Step {summary['step']} of {summary['total_steps']} (checkpoint)")

    # -- actions ----------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Prepare footage that was not (a recording cut short by quitting, say); the page follows."""
        project = self.context.selection.project
        if project is not None and project.manifest.status == "recorded" and not self._footage_job(project):
            worker = self.importer.prepare(project.name)
            worker.finished.connect(self.context.selection.reload)
            self.status.setText("Preparing the footage…")

    def start(self, start_over: bool | None = None) -> ProcessWorker | None:
        project = self.context.selection.project
        if project is None or self.worker is not None or not can_train(project):
            return None
        restart = self.start_over.isChecked() if start_over is None else start_over
        self._checkpoint_preset = self.preset.currentData()  # the checkpoint this run leaves
        # A limit never chosen is the trainer's to set, from the device it really gets: the box shows
        # a suggestion, which may come before the device probe has answered.
        chosen = self.context.settings.train_minutes
        minutes = None if chosen is None else float(self.minutes.value())
        args = (str(project.path), self.preset.currentData(), self.device.currentData(), self.steps.value() or None,
                minutes, restart, self.speech.isChecked())
        self.worker = ProcessWorker("train", args, "training", project.name, "training")
        self.worker.progress.connect(self._on_update)
        self.worker.result.connect(self._on_outcome)
        self.worker.finished.connect(self._on_finished)
        if self.state == "idle":
            self.loss_plot.clear()
            self.quality_plot.clear()
        self.state = "running"
        self.outcome, self.run_ended = None, False
        self.context.settings.interrupted_training = project.name
        self.status.setText("Loading the footage and the base model…")
        self.context.pool.start(self.worker)
        self._update_controls()
        return self.worker

    def pause(self) -> None:
        """Stop at the next step with a checkpoint; Resume goes on from it."""
        if self.worker is not None and self.state == "running" and self.outcome is None:  # not ended meanwhile
            self.state = "pausing"
            self.worker.cancel()
            self.status.setText("Pausing: saving a checkpoint…")
            self._update_controls()

    def resume(self) -> ProcessWorker | None:
        if self.state != "paused":
            return None
        return self.start(start_over=False)

    def cancel(self) -> None:
        """Stop training; the last checkpoint is kept, so Start later resumes from it."""
        self.context.settings.interrupted_training = ""
        if self.worker is not None and self.state in ("running", "pausing") and self.outcome is None:
            self.state = "cancelling"
            self.worker.cancel()
            self.status.setText("Stopping: saving a checkpoint…")
        elif self.state == "paused":
            self.state = "idle"
            self.status.setText("Training stopped; Start resumes from the last checkpoint.")
        self._update_controls()

    # -- the job's reports ------------------------------------------------------------------------------

    def _on_update(self, update: TrainUpdate) -> None:
        self.last_update = update
        if update.message:
            self.status.setText(update.message)
        if not update.step:
            return
        self.progress.setRange(0, update.total_steps)
        self.progress.setValue(update.step)
        self.progress.setFormat(f"Step {update.step} of {update.total_steps}{_eta_text(update.eta_seconds)}")
        self.device_label.setText(f"Training on {update.device}")
        for name in ("total", "l1", "ssim"):
            if name in update.losses:
                self.loss_plot.add_point(name, update.step, update.losses[name])
        if update.held_out:
            self._add_held_out(update.step, update.held_out)
            self.status.setText(f"Step {update.step}: held-out PSNR {update.held_out['psnr']:.2f} dB, "
                                f"SSIM {update.held_out.get('ssim', float('nan')):.3f}.")
        if update.samples is not None:
            self.samples.set_image(rgb_image(update.samples))

    def _add_held_out(self, step: float, metrics: dict) -> None:
        for key, label in (("psnr", "face"), ("mouth_psnr", "mouth")):
            if key in metrics:
                self.quality_plot.add_point(label, step, metrics[key])

    def _on_outcome(self, outcome: TrainOutcome) -> None:
        self.outcome = outcome
        name = self.worker.twin if self.worker else ""
        if self.state == "pausing" and outcome.stopped != "cancelled":
            self.state = "running"  # the run ended before the pause reached it: nothing is left to resume
        paused = self.state == "pausing"
        text = f"{FINISHED.get(outcome.stopped, outcome.stopped)} at step {outcome.step}."
        if outcome.held_out:
            text += f" Best held-out PSNR {outcome.held_out['psnr']:.2f} dB."
        if outcome.speech:
            text += f" Learnt to speak from {outcome.speech['frames']} frames."
        self.status.setText(("Paused at step %d. Resume goes on from there." % outcome.step) if paused else text)
        if outcome.stopped != "cancelled":
            self.context.settings.interrupted_training = ""
        self.trained.emit(name)
        self.message.emit(text)

    def _on_finished(self) -> None:
        worker, self.worker = self.worker, None
        failed = worker is not None and not worker.succeeded
        self.state = "paused" if self.state == "pausing" and not failed else "idle"
        self.run_ended = True
        if failed:
            self.context.settings.interrupted_training = ""  # it failed; the app did not quit under it
            # Said here too: after a Pause or Cancel the error is not shown in a dialog.
            said = worker.failed_report.message if worker.failed_report else ""
            if said and not said.endswith((".", "?", "!")):
                said += "."
            self.status.setText(f"Training stopped with an error{': ' + said if said else '.'} Start goes on from "
                                "the last checkpoint, if one was saved.")
        self.context.selection.reload()
        self._update_controls()


def _eta_text(seconds: float | None) -> str:
    if seconds is None or seconds <= 0:
        return ""
    if seconds < 90:
        return f" — about {seconds:.0f} s left"
    if seconds < 90 * 60:
        return f" — about {seconds / 60:.0f} min left"
    return f" — about {seconds / 3600:.1f} h left"


def _combo(name: str, items, wanted: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for value, label in items:
        combo.addItem(label, value)
    combo.setCurrentIndex(max(combo.findData(wanted), 0))
    return combo
