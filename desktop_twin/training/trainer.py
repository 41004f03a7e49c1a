"""Fine-tuning a twin: the base renderer, baked with the person's reference, trained on their footage.

The loop reads top to bottom: a pure learning-rate function, one step, evaluation
under no_grad, checkpoints that carry model arguments, step and config. It is a
core job: progress goes to a callback, cancel is an Event checked between steps.
"""

import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from desktop_twin.capture.footage import file_sha256
from desktop_twin.errors import UserError, command
from desktop_twin.resources import model_path
from desktop_twin.store import TwinProject
from desktop_twin.store.atomic import remove_leftovers
from desktop_twin.training.averaging import WeightAverage
from desktop_twin.training.batches import BatchSampler, Clip, Prefetcher, frame_sample, to_chw
from desktop_twin.training.baked_state import baked_from_state, baked_state
from desktop_twin.training.checkpoints import LATEST_CHECKPOINT, load_checkpoint, save_checkpoint
from desktop_twin.training.data import PreparedData, sketch_at
from desktop_twin.training.devices import choose_device, device_name, mixed_precision
from desktop_twin.training.evaluation import held_out_metrics, sample_grid
from desktop_twin.training.losses import reconstruction_loss
from desktop_twin.training.presets import DEFAULT_PRESET, TrainPreset, get_preset, time_limit
from desktop_twin.training.schedule import apply_gradients, learning_rate, schedule_step
from desktop_twin.training.same_person import is_one_person
from desktop_twin.training.speech_timing import delay_ms
from desktop_twin.training.speech_training import SpeechTrainResult, fine_tune_audio_motion, learnt_speech
from desktop_twin.training.tensors import loader_threads, to_tensors
from desktop_twin.training.renderer import BakedRenderer, TwinRenderer

BASE_MODEL = "base_renderer.pt"
CHECKPOINT_SECONDS = 60.0
MIN_IMPROVEMENT_DB = 0.05
# One early evaluation before the preset's interval: the person sees the twin (and a twin is kept)
# within a minute even on a CPU, where 500 standard steps take three.
FIRST_LOOK_STEP = 100
SPEECH_REPORT_STEPS = 100  # a progress message every this many steps of learning to speak


@dataclass
class TrainProgress:
    step: int
    total_steps: int
    losses: dict[str, float]
    eta_seconds: float | None
    device: str
    batch_size: int
    held_out: dict[str, float] | None = None
    samples: np.ndarray | None = None  # real above twin, RGB uint8
    message: str | None = None


@dataclass
class TrainResult:
    step: int
    stopped: str  # "finished", "converged", "time limit", "cancelled"
    held_out: dict[str, float] = field(default_factory=dict)
    checkpoint: str = ""
    speech: dict | None = None  # learning to speak: steps, frames, seconds; None when it did not happen


class TrainJob:
    def __init__(self, project: TwinProject, preset: str = DEFAULT_PRESET, device: str = "auto",
                 steps: int | None = None, minutes: float | None = None, from_scratch: bool = False,
                 seed: int = 0, speech: bool = True, restart: bool = False):
        self.project = project
        self.preset: TrainPreset = get_preset(preset)
        self.device = choose_device(device)
        self.mixed_precision = mixed_precision(self.device)
        self.total_steps = steps or self.preset.steps
        self.last_step = self.total_steps  # where the run is expected to end: earlier at a time limit
        # The person's time limit (None: not chosen, 0: none) and the one the run keeps to, which
        # follows the device it trains on, as that can change under it (out of GPU memory).
        self.chosen_steps, self.chosen_minutes = steps, minutes
        self.minutes = time_limit(minutes, steps, self.device.type == "cuda")
        self.clock_started = 0.0  # monotonic seconds at which the time limit began
        self.from_scratch = from_scratch  # random weights instead of the base (for measuring transfer)
        self.restart = restart or from_scratch  # the last checkpoint ignored
        self.seed = seed
        self.speech = speech  # after the renderer, fine-tune audio-to-motion on the footage's sound
        self.batch_size = self.preset.batch_size
        self.average: WeightAverage | None = None  # of the weights being trained: the twin kept
        self.notice: str | None = None  # for the next progress event: something the person should know
        self.latest_path = project.checkpoints_dir / LATEST_CHECKPOINT
        self.best_path = project.checkpoints_dir / "best.pt"

    def run(self, progress: Callable[[TrainProgress], None] | None = None,
            cancel: threading.Event | None = None) -> TrainResult:
        """Fine-tune the renderer, then (unless cancelled) teach the twin to speak."""
        with self.project.writing():
            remove_leftovers(self.project.checkpoints_dir, ".*.tmp")  # checkpoints a killed run was saving
            return self._run(progress or (lambda p: None), cancel)

    def _run(self, report, cancel: threading.Event | None) -> TrainResult:
        result = self._train_renderer(report, cancel)
        if self.speech and result.stopped != "cancelled":
            result.speech = self._learn_to_speak(report, cancel)
            if cancel is not None and cancel.is_set():
                result.stopped = "cancelled"  # while learning to speak: the next run learns it
        return result

    def _train_renderer(self, report, cancel: threading.Event | None) -> TrainResult:
        data, clip, held_out = self._load_data()
        model, optimizer, state = self._model_and_optimizer(data, clip.reference, report)
        self.average = WeightAverage(baked_from_state(state["average"]) if "average" in state else model)
        self.average.model.to(self.device)
        sampler = BatchSampler([clip], self.preset.image_size, seed=self.seed, with_reference=False)
        with Prefetcher(sampler, first=state["step"], threads=loader_threads(self.device)) as batches:
            return self._loop(model, optimizer, state, batches, data, held_out, report, cancel)

    def _loop(self, model, optimizer, state, batches, data, held_out, report, cancel) -> TrainResult:
        started, start_step = time.monotonic(), state["step"]
        last_save = started
        self.clock_started = started - self._clock_used(state, report)
        while state["step"] < self.total_steps:
            if cancel is not None and cancel.is_set():
                return self._finish(model, optimizer, state, "cancelled")
            schedule = schedule_step(state["step"], self.total_steps, self.clock_started, self.minutes)
            losses = self._step(model, optimizer, batches, schedule)
            state["step"] += 1
            self.average.update(model, state["step"])
            state["clock_seconds"], state["clock_minutes"] = time.monotonic() - self.clock_started, self.minutes
            out_of_time = self.minutes is not None and state["clock_seconds"] > self.minutes * 60
            eta, self.last_step = self._outlook(time.monotonic() - started, state["clock_seconds"], state["step"],
                                                start_step)
            event = TrainProgress(state["step"], self.last_step, losses, eta, device_name(self.device),
                                  self.batch_size, message=self.notice)
            self.notice = None
            # A run's last step is scored too: where a time limit ends it, the schedule has just
            # decayed and its twin is likely the best of the run.
            if self._evaluates_at(state["step"]) or out_of_time:
                if self._evaluate(data, held_out, state, event):
                    report(event)
                    return self._finish(model, optimizer, state, "converged")
            if time.monotonic() - last_save > CHECKPOINT_SECONDS:
                self._save_latest(model, optimizer, state)
                last_save = time.monotonic()
            report(event)
            if out_of_time:
                return self._finish(model, optimizer, state, "time limit")
        return self._finish(model, optimizer, state, "finished")

    def _evaluates_at(self, step: int) -> bool:
        every = self.preset.eval_every
        return step % every == 0 or step == self.total_steps or step == FIRST_LOOK_STEP < every

    def _clock_used(self, state, report) -> float:
        """Seconds of its time limit that a paused or interrupted run already used: it goes on with
        the rest, its learning rate where the clock left it. A limit used up, or another limit,
        starts afresh."""
        used = state.get("clock_seconds", 0.0)
        if self.minutes is None or state.get("clock_minutes") != self.minutes or used >= self.minutes * 60:
            return 0.0
        report_message(report, f"It goes on with {(self.minutes * 60 - used) / 60:.1f} of its {self.minutes:g} "
                               "minutes left.")
        return used

    def _outlook(self, elapsed: float, clock: float, step: int, start_step: int) -> tuple[float, int]:
        """Seconds left and the step the run ends at: its last step at this run's pace, or the step
        its time limit falls on if that comes first (`clock`: seconds of the limit used)."""
        pace = elapsed / (step - start_step)  # seconds a step
        eta = pace * (self.total_steps - step)
        time_left = math.inf if self.minutes is None else max(0.0, self.minutes * 60 - clock)
        if eta <= time_left:
            return eta, self.total_steps
        return time_left, step + int(time_left / pace)

    # -- set-up ---------------------------------------------------------------------------

    def _load_data(self) -> tuple[PreparedData, Clip, np.ndarray]:
        if self.project.manifest.status != "prepared":
            raise UserError(f"Twin {self.project.name!r} has no prepared footage (or it changed since). "
                            f"Run: {command('prepare', self.project.name)}")
        data = PreparedData.load(self.project.prepared_dir)
        train_indices, held_out = data.held_out_split()
        reference = data.reference_index(train_indices)
        if not is_one_person(data, train_indices, reference):
            raise UserError("The footage seems to show more than one person. A twin learns one face: "
                            "import only footage of the person the twin is of.")
        return data, Clip(data, train_indices, reference), held_out

    def _model_and_optimizer(self, data: PreparedData, reference: int, report):
        resumable = self.latest_path.is_file() and not self.restart
        state = self._last_checkpoint() if resumable else None
        if state is not None and state["train"]["preset"] != self.preset.name:
            # Another preset: start over rather than mix resolutions.
            report_message(report, f"The last checkpoint was trained with the {state['train']['preset']} preset: "
                                   f"training starts over with {self.preset.name}.")
            state = None
        if state is not None and state["train"].get("footage_sha256") != self._footage_sha256():
            report_message(report, "The footage changed since the last checkpoint: training starts over.")
            state = None
        if state is None:
            model = self._bake_start_model(data, reference)
            state = {"step": 0, "best": None, "stale_evaluations": 0, "history": []}
        else:
            model = baked_from_state(state["model"])
            report_message(report, f"Resuming from step {state['step']} (checkpoint {self.latest_path}).")
        model.to(self.device).train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=self.preset.learning_rate, weight_decay=0.0)
        if "optimizer" in state:
            optimizer.load_state_dict(state["optimizer"])
        return model, optimizer, state

    def _last_checkpoint(self) -> dict:
        try:
            return load_checkpoint(self.latest_path)
        except UserError as error:
            raise UserError(f"{error} Start again from the base model with: "
                            f"{command('train', self.project.name, '--restart')}") from None

    def _bake_start_model(self, data: PreparedData, reference: int) -> BakedRenderer:
        size = self.preset.image_size
        # From scratch keeps the base's architecture, so the two starts differ only in weights.
        base = load_checkpoint(model_path(BASE_MODEL))
        renderer = TwinRenderer(**base["model_config"])
        if not self.from_scratch:
            renderer.load_state_dict(base["model_state"])
        image, landmarks = frame_sample(data, reference, size, None)
        reference_image = torch.from_numpy(to_chw(image))
        reference_sketch = torch.from_numpy(to_chw(sketch_at(landmarks, size, size)))
        baked = renderer.bake(reference_image, reference_sketch)
        baked.config["image_size"] = size
        baked.reference = {"index": reference, "image": image}
        return baked

    # -- the loop's parts -----------------------------------------------------------------

    def _step(self, model, optimizer, batches: Prefetcher, step) -> dict[str, float]:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, self.total_steps, self.preset.learning_rate)
        while True:
            try:
                return self._try_step(model, optimizer, batches)
            except torch.cuda.OutOfMemoryError:
                pass
            # Out of the except block: its traceback held the failed step's tensors on the GPU.
            self._shrink_batch(model, optimizer)

    def _try_step(self, model, optimizer, batches: Prefetcher) -> dict[str, float]:
        batch = to_tensors(batches.next(self.batch_size), self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.mixed_precision):
            fake = model(batch["sketch"])
        losses = reconstruction_loss(fake.float(), batch["target"], batch["weights"])
        apply_gradients(losses["total"], model, optimizer)
        return {k: float(v.detach()) for k, v in losses.items()}

    def _shrink_batch(self, model, optimizer) -> None:
        """Out of GPU memory: halve the batch; at one sample, there is nothing left but the CPU."""
        torch.cuda.empty_cache()
        if self.batch_size > 1:
            self.batch_size //= 2
            return
        self._move_to(torch.device("cpu"), model, optimizer)
        self.batch_size = self.preset.batch_size  # the machine's memory holds the preset's batch
        self.notice = ("The GPU ran out of memory even with one image per step: training goes on on the CPU, "
                       "more slowly. Close other programs using the GPU and run it again to use the GPU.")
        limit = time_limit(self.chosen_minutes, self.chosen_steps, on_gpu=False)
        if self.minutes is None and limit is not None:  # the CPU's limit, as if the run had begun there
            self.minutes, self.clock_started = limit, time.monotonic()
            self.notice += f" It stops after {limit:g} minutes there unless it finishes sooner."

    def _move_to(self, device: torch.device, model, optimizer) -> None:
        self.device, self.mixed_precision = device, mixed_precision(device)
        model.to(device)
        self.average.model.to(device)
        for values in optimizer.state.values():
            for key, value in values.items():
                if torch.is_tensor(value):
                    values[key] = value.to(device)

    def _evaluate(self, data, held_out, state, event: TrainProgress) -> bool:
        """The averaged weights' held-out metrics into the event; True when quality has stopped improving."""
        metrics, frames = held_out_metrics(self.average.model, data, held_out, self.preset.image_size, self.device)
        event.held_out, event.samples = metrics, sample_grid(frames)
        if record_evaluation(state, metrics):
            self._save_best(state)
        return state["stale_evaluations"] >= self.preset.patience

    def _save_latest(self, model, optimizer, state) -> None:
        """What a resumed run goes on from: the weights being trained, their optimiser and their average."""
        self._save(self.latest_path, state, model=baked_state(model), optimizer=optimizer.state_dict(),
                   average=baked_state(self.average.model))

    def _save_best(self, state) -> None:
        """The twin to keep: the average of the weights."""
        self._save(self.best_path, state, model=baked_state(self.average.model))

    def _save(self, path, state, **weights) -> None:
        if not self.project.path.is_dir():  # renamed or deleted under the run: no half-twin in its place
            raise UserError(f"The twin's folder {self.project.path} was renamed or deleted while it trained; "
                            "this run's progress is not kept.")
        save_checkpoint(path, {
            **{k: v for k, v in state.items() if k not in ("model", "optimizer", "average", "train")},
            **weights,
            "train": {"preset": self.preset.name, "image_size": self.preset.image_size,
                      "from_scratch": self.from_scratch, "total_steps": self.last_step,
                      "base_sha256": self._base_sha256(), "footage_sha256": self._footage_sha256()},
        })

    def _footage_sha256(self) -> list[str]:
        return [entry.sha256 for entry in self.project.manifest.footage]

    def _learn_to_speak(self, report, cancel: threading.Event | None) -> dict | None:
        """Audio-to-motion fine-tuned on the footage's sound; footage without speech says so and goes on."""
        kept = learnt_speech(self.project, self.seed)
        if kept is not None:
            # The speaking model depends on the footage, not on the renderer: fitting again learns the same.
            report_message(report, f"The twin already learnt to speak from this footage ({kept.frames} frames); kept.")
            return _speech_summary(kept)
        report_message(report, "Learning to speak from the footage's sound.")
        try:
            result = fine_tune_audio_motion(self.project, _speech_progress(report), cancel, seed=self.seed)
        except UserError as error:
            if cancel is None or not cancel.is_set():
                report_message(report, f"The twin did not learn to speak: {error}")
            return None
        timing = f", the mouth moving {delay_ms(result.delay_rows)} ms after the sound" if result.delay_rows else ""
        report_message(report, f"Learnt to speak from {result.frames} frames in {result.seconds:.0f} s{timing}.")
        return _speech_summary(result)

    @functools.cache
    def _base_sha256(self) -> str:
        return file_sha256(model_path(BASE_MODEL))

    def _finish(self, model, optimizer, state, stopped: str) -> TrainResult:
        self._save_latest(model, optimizer, state)
        if not self.best_path.is_file():
            self._save_best(state)
        return TrainResult(state["step"], stopped, state["best"] or {}, str(self.best_path))


def resumable_preset(project: TwinProject) -> str | None:
    """The preset of the checkpoint a run would go on from, if there is one."""
    path = project.checkpoints_dir / LATEST_CHECKPOINT
    return load_checkpoint(path, mapped=True)["train"]["preset"] if path.is_file() else None  # not the weights


def record_evaluation(state: dict, metrics: dict[str, float]) -> bool:
    """Add a held-out evaluation to the training state; True when it is the best so far.

    The best checkpoint takes every gain. Stopping counts the evaluations since quality last rose by
    MIN_IMPROVEMENT_DB, so a run creeping up by hundredths of a dB still ends.
    """
    state["history"].append({"step": state["step"], **metrics})
    # Checkpoints written before the mark existed: their best is where it stood.
    mark = state.get("improvement_mark", state["best"]["psnr"] if state["best"] else None)
    if mark is None or metrics["psnr"] > mark + MIN_IMPROVEMENT_DB:
        state["improvement_mark"], state["stale_evaluations"] = metrics["psnr"], 0
    else:
        state["stale_evaluations"] += 1
    is_best = state["best"] is None or metrics["psnr"] > state["best"]["psnr"]
    if is_best:
        state["best"] = {"step": state["step"], **metrics}
    return is_best


def _speech_summary(result: SpeechTrainResult) -> dict:
    return {"steps": result.steps, "frames": result.frames, "seconds": round(result.seconds, 1),
            "delay_ms": delay_ms(result.delay_rows), "checkpoint": str(result.checkpoint)}


def _speech_progress(report):
    def on_step(step: int, total: int, loss: float) -> None:
        if step % SPEECH_REPORT_STEPS == 0 or step == total:
            report_message(report, f"Learning to speak: step {step} of {total}, loss {loss:.3f}.")
    return on_step


def report_message(report, message: str) -> None:
    report(TrainProgress(0, 0, {}, None, "", 0, message=message))
