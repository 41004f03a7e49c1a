"""Core jobs run in a child process, so that their Python work never holds the interface's
GIL (torch's imports and data loading would freeze it for hundreds of milliseconds).

No Qt here, and nothing that unpickles into torch objects: the child converts each event
into plain data before sending it. The interface's side is workers.ProcessWorker.
"""

import importlib
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_twin.errors import UserError

PROGRESS_INTERVAL_SECONDS = 0.1  # plain progress counters are sent at most this often
CHILD_NICENESS = 10  # background work yields the processor to the interface when both want it


@dataclass(frozen=True)
class Fraction:
    """Progress of a job as a fraction, with what it is doing."""

    done: float  # 0..1
    text: str


@dataclass(frozen=True)
class TrainUpdate:
    step: int
    total_steps: int
    losses: dict[str, float]
    eta_seconds: float | None
    device: str
    held_out: dict[str, float] | None = None
    samples: np.ndarray | None = None  # real above twin, RGB uint8
    message: str | None = None


@dataclass(frozen=True)
class TrainOutcome:
    step: int
    stopped: str  # "finished", "converged", "time limit", "cancelled"
    held_out: dict[str, float] = field(default_factory=dict)
    speech: dict | None = None  # learning to speak: steps, frames, seconds; None when it did not happen


def run_in_child(connection, cancel, target: str, args: tuple) -> None:
    """The child's entry point: run `module:function`(*args, send, cancel) and send its end."""
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    try:
        module, name = target.split(":")
        function = getattr(importlib.import_module(module), name)
        result = function(*args, send=lambda event: connection.send(("progress", event)), cancel=cancel)
        connection.send(("result", result))
    except UserError as error:
        connection.send(("failure", str(error), traceback.format_exc(), True))
    except BaseException as error:  # sent on, shown by the interface with the traceback
        connection.send(("failure", f"{type(error).__name__}: {error}", traceback.format_exc(), False))
    finally:
        connection.close()


class Throttle:
    """Calls send with an event at most every interval seconds, and always with the last."""

    def __init__(self, send, interval: float = PROGRESS_INTERVAL_SECONDS):
        self.send, self.interval, self._last = send, interval, 0.0

    def __call__(self, event, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._last >= self.interval:
            self._last = now
            self.send(event)


def _project(path: str):
    from desktop_twin.store import open_project

    folder = Path(path)
    return open_project(folder.name, root=folder.parent)


# -- the jobs (module-level, so a spawned child can find them by name) ----------------------------


def prepare(project_path: str, send, cancel) -> str:
    from desktop_twin.face.prepare import prepare_project

    throttle = Throttle(send)

    def on_progress(p) -> None:
        throttle(Fraction(p.frames_done / max(p.frames_total, 1),
                          f"Finding the face in {p.footage_name}: frame {p.frames_done} of {p.frames_total}"),
                 final=p.frames_done == p.frames_total)

    summary = prepare_project(_project(project_path), on_progress, cancel)
    return " ".join(summary.warnings)


def train(project_path: str, preset: str, device: str, steps: int | None, minutes: float | None,
          restart: bool, speech: bool, send, cancel) -> TrainOutcome:
    """minutes: the person's time limit (0: none), or None when never chosen: the trainer's default
    for the device it trains on."""
    from desktop_twin.training.trainer import TrainJob

    throttle = Throttle(send)

    def on_progress(p) -> None:
        update = TrainUpdate(p.step, p.total_steps, dict(p.losses), p.eta_seconds, p.device,
                             dict(p.held_out) if p.held_out else None, p.samples, p.message)
        throttle(update, final=bool(p.held_out or p.message or p.step == p.total_steps))

    job = TrainJob(_project(project_path), preset, device, steps, minutes, speech=speech, restart=restart)
    result = job.run(on_progress, cancel)
    speech_result = getattr(result, "speech", None)
    return TrainOutcome(result.step, result.stopped, {k: float(v) for k, v in result.held_out.items()},
                        {k: v for k, v in speech_result.items() if k != "checkpoint"} if speech_result else None)


def export(project_path: str, out_path: str, measure_quality: bool, send, cancel) -> str:
    try:
        from desktop_twin.export.twin_export import export_twin
    except ImportError as error:
        raise UserError(f"This version of Desktop Twin cannot write .twin files ({error}).") from None

    def on_progress(p) -> None:
        done = p.done >= p.total
        send(Fraction(p.done / max(p.total, 1), "The .twin file is ready." if done else p.message or f"{p.stage}…"))

    started_ns = time.time_ns()  # before the checkpoints are read
    path = export_twin(_project(project_path), Path(out_path), on_progress, cancel=cancel,
                       measure_quality=measure_quality)
    # Dated when its checkpoints were read, so one a training run saves meanwhile counts as newer (twins.py).
    os.utime(path, ns=(started_ns, started_ns))
    return str(path)


def evaluate(project_path: str, send, cancel) -> dict:
    from desktop_twin.training.evaluate import HELD_OUT, evaluate_twin

    throttle = Throttle(send)

    def on_progress(p) -> None:
        throttle(Fraction(p.frames_done / max(p.frames_total, 1),
                          f"Scoring frame {p.frames_done} of {p.frames_total}"),
                 final=p.frames_done == p.frames_total)

    return evaluate_twin(_project(project_path), HELD_OUT, progress=on_progress, cancel=cancel)


def render(twin_path: str, drive: str, out: str, side_by_side: bool, speak: bool, send, cancel) -> str:
    """An MP4 of the twin: copying the face in a video, or (speak) speaking the sound of a file."""
    from desktop_twin.export.bundle import read_twin
    from desktop_twin.runtime.render_video import render_video

    throttle = Throttle(send)

    def on_progress(p) -> None:
        throttle(Fraction(p.frames_done / max(p.frames_total, 1),
                          f"Rendering frame {p.frames_done} of {p.frames_total}"),
                 final=p.frames_done == p.frames_total)

    bundle = read_twin(Path(twin_path))
    if speak:
        from desktop_twin.runtime.render_speech import render_speech

        return str(render_speech(bundle, Path(drive), Path(out), progress=on_progress, cancel=cancel).path)
    return str(render_video(bundle, Path(drive), Path(out), side_by_side, progress=on_progress, cancel=cancel).path)


def training_devices(send, cancel) -> list[tuple[str, str]]:
    """(value, label) of each device training can use: automatic, then the GPU by name, then the CPU."""
    import torch

    from desktop_twin.training.devices import choose_device, device_name

    automatic = device_name(choose_device("auto"))
    devices = [("auto", f"Automatic ({automatic})")]
    if torch.cuda.is_available():
        devices.append(("cuda", f"GPU: {device_name(torch.device('cuda'))}"))
    devices.append(("cpu", "CPU"))
    return devices


def checkpoint_summary(project_path: str, send, cancel) -> dict:
    """Where the last training run stopped: its step, preset and held-out history (for the curves)."""
    from desktop_twin.training.checkpoints import LATEST_CHECKPOINT, load_checkpoint

    path = Path(project_path) / "checkpoints" / LATEST_CHECKPOINT
    if not path.is_file():
        return {}
    state = load_checkpoint(path, mapped=True)  # its record, not its weights
    history = [{k: float(v) for k, v in entry.items()} for entry in state.get("history", [])]
    train = state.get("train", {})
    return {"step": int(state.get("step", 0)), "preset": str(train.get("preset", "")),
            "total_steps": int(train.get("total_steps", 0)), "history": history}
