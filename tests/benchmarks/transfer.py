"""Transfer: fine-tune from the bundled base model and from scratch, at equal steps, on held-out footage.

    DESKTOP_TWIN_HOME=/tmp/transfer python tests/benchmarks/transfer.py [--steps 1200] [--every 150]

Imports and prepares talking/t01 (71 s; or --clip, another person) into a twin called
"transfer" (or the clip's name), then trains the
draft preset twice (base, scratch) with the trainer's own held-out evaluation (the last
15 s, 40 frames) every --every steps, and prints both curves as JSON lines. Early
stopping is off so the curves run to the end. With --budgets N...: a fresh run of each
step count instead (its learning rate decayed at its end), scored at its end. With
--minutes M...: a fresh run from the base for each time limit, with the preset's own
stopping rule, scored at its end: what `desktop-twin train --minutes M` gives.
"""

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np

from desktop_twin.capture.footage import import_footage
from desktop_twin.face.prepare import prepare_project
from desktop_twin.store import create_project, list_projects, open_project
from desktop_twin.face.metrics import fidelity
from desktop_twin.training.batches import frame_sample
from desktop_twin.training.data import PreparedData
from desktop_twin.training.evaluate import Baselines
from desktop_twin.training.evaluation import EVAL_FRAMES
from desktop_twin.training.trainer import TrainJob

DATA = Path(os.environ.get("DESKTOP_TWIN_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


T01 = "talking/t01_news_correspondent_71s.mp4"


def prepared_twin(clip: str = T01):
    """The twin of `clip` (under ../shared/data), imported and prepared on first use: "transfer" for t01."""
    name = "transfer" if clip == T01 else Path(clip).stem
    if name not in [p.name for p in list_projects()]:
        project = create_project(name)
        import_footage(project, DATA / clip)
        prepare_project(project)
    return open_project(name)


def fresh_job(project, preset: str, device: str, steps: int, every: int, from_scratch: bool = False,
              **preset_changes) -> TrainJob:
    """A run from the start (earlier checkpoints deleted) with no early stop and no speech,
    evaluated every `every` steps."""
    for name in ("latest.pt", "best.pt"):
        (project.checkpoints_dir / name).unlink(missing_ok=True)
    job = TrainJob(project, preset, device, steps=steps, from_scratch=from_scratch, speech=False)
    job.preset = dataclasses.replace(job.preset, eval_every=every, patience=10**6, **preset_changes)
    return job


def curve(project, from_scratch: bool, steps: int, every: int, preset: str,
          learning_rate: float | None = None) -> list[dict]:
    changes = {"learning_rate": learning_rate} if learning_rate is not None else {}
    job = fresh_job(project, preset, "auto", steps, every, from_scratch, **changes)
    points, started = [], time.monotonic()

    def on_progress(event):
        if event.held_out:
            points.append({"step": event.step, "seconds": round(time.monotonic() - started, 1),
                           **{k: round(v, 3) for k, v in event.held_out.items()}})
            print(json.dumps({"start": "scratch" if from_scratch else "base", **points[-1]}), flush=True)

    job.run(on_progress)
    return points


def budget_run(project, from_scratch: bool, steps: int, preset: str, learning_rate: float | None = None) -> dict:
    """A fresh run of `steps` steps with its own schedule (warm-up, then decay to its last step),
    scored at its end: what a person who trains for that many steps gets. A curve's midpoint is
    not that, as its learning rate is still high there."""
    return curve(project, from_scratch, steps, steps, preset, learning_rate)[-1]


def timed_run(project, preset: str, minutes: float, learning_rate: float | None = None) -> dict:
    """A fresh run from the base, its schedule following the clock, stopped by the time limit or
    by the preset's own stopping rule, scored at its end."""
    for name in ("latest.pt", "best.pt"):
        (project.checkpoints_dir / name).unlink(missing_ok=True)
    job = TrainJob(project, preset, "auto", minutes=minutes, speech=False)
    if learning_rate is not None:
        job.preset = dataclasses.replace(job.preset, learning_rate=learning_rate)
    last, started = {}, time.monotonic()

    def on_progress(event):
        if event.held_out:
            last.update(step=event.step, **{k: round(v, 3) for k, v in event.held_out.items()})

    result = job.run(on_progress)
    point = {"start": "base", "preset": preset, "minutes": minutes, "learning_rate": job.preset.learning_rate,
             "stopped": result.stopped,
             "seconds": round(time.monotonic() - started, 1), **last}
    print(json.dumps(point), flush=True)
    return point


def baselines(project, size: int) -> None:
    """The mean training frame and the nearest-landmarks training frame, on the trainer's held-out frames."""
    data = PreparedData.load(project.prepared_dir)
    train, held = data.held_out_split()
    chosen = held[np.linspace(0, len(held) - 1, min(EVAL_FRAMES, len(held))).astype(int)]
    reference = Baselines(data, train, size)
    for name in ("mean_frame", "nearest_landmarks"):
        scores = []
        for index in chosen:
            real, landmarks = frame_sample(data, int(index), size, None)
            fake = reference.mean_frame if name == "mean_frame" else reference.nearest_crop(landmarks)
            scores.append(fidelity(real, fake, landmarks))
        print(json.dumps({"start": name, **{k: round(float(np.mean([s[k] for s in scores])), 3) for k in scores[0]}}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--every", type=int, default=150)
    parser.add_argument("--preset", default="draft")
    parser.add_argument("--clip", default=T01, help="another person's footage, under ../shared/data")
    parser.add_argument("--float32", action="store_true",
                        help="train in float32 on a CPU with native bfloat16, as on most CPUs, which lack it")
    parser.add_argument("--baselines-only", action="store_true")
    parser.add_argument("--learning-rate", type=float, help="instead of the preset's peak learning rate")
    parser.add_argument("--starts", nargs="+", default=["base", "scratch"], choices=["base", "scratch"])
    parser.add_argument("--budgets", type=int, nargs="+", metavar="STEPS",
                        help="instead of one curve, a fresh run for each of these step counts")
    parser.add_argument("--minutes", type=float, nargs="+",
                        help="instead of one curve, a fresh run from the base for each of these time limits")
    args = parser.parse_args()
    if args.float32:
        from desktop_twin.training import trainer
        trainer.mixed_precision = lambda device: device.type == "cuda"
    project = prepared_twin(args.clip)
    baselines(project, 128 if args.preset == "draft" else 256)
    if args.baselines_only:
        return
    if args.minutes:
        for minutes in args.minutes:
            timed_run(project, args.preset, minutes, args.learning_rate)
        return
    for start in args.starts:
        if args.budgets:
            for steps in args.budgets:
                budget_run(project, start == "scratch", steps, args.preset, args.learning_rate)
            continue
        curve(project, start == "scratch", args.steps, args.every, args.preset, args.learning_rate)


if __name__ == "__main__":
    main()
