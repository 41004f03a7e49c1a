"""The twin model on a GPU, in one session: prepare talking/t01, continue pretraining the bundled
base, then fine-tune t01's twin (standard preset) from the new base and from scratch at equal steps
(or from the base alone: scratch's curve does not depend on the base). STARTS items of the form
START@STEPS (`base@1000,scratch@5000`) are fresh runs of that many steps instead, each scored at its
end (transfer.budget_run), in the order given; one that would not end before the deadline is skipped;
`base@1000:2e-3` runs at that peak learning rate instead of the preset's.
Runs listed before an item `pretrain` (`base@1000,pretrain,base@1000`) start from the bundled base,
before the pretraining continues it.

Run by device_twin_model.sh (see there). Writes into OUT: results.jsonl (every figure as it comes),
base_renderer.pt (the continued base), t01_standard_base.pt and t01_standard_scratch.pt (the best
checkpoints, for `desktop-twin evaluate` on the original footage at home).

It replaces resources/models/base_renderer.pt in the tree it runs in, so the trainer starts
from the new base: run it in a throwaway copy (the GPU machine's), never in a checkout.
"""

import json
import shutil
import sys
import time
from pathlib import Path

import torch

from desktop_twin.face.prepare import prepare_project
from desktop_twin.resources import model_path
from desktop_twin.store import data_root, open_project
from desktop_twin.training.pretrain import pretrain
from desktop_twin.training.trainer import BASE_MODEL
from tests.benchmarks.transfer import budget_run, curve

TWIN = "transfer"


def main() -> None:
    carry, out = Path(sys.argv[1]), Path(sys.argv[2])
    minutes, steps, every = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    deadline = float(sys.argv[6]) if len(sys.argv) > 6 else float("inf")  # seconds the whole run may take
    # Scratch does not depend on the base: a session that only continues the base can skip it.
    starts = sys.argv[7].split(",") if len(sys.argv) > 7 else ["base", "scratch"]
    torch.backends.cudnn.benchmark = True
    record = recorder(out / "results.jsonl")
    started = time.monotonic()
    project = prepared_t01(carry)
    record(phase="prepare", seconds=round(time.monotonic() - started, 1), frames=project.manifest.prepared.frames)

    before, starts = split_at_pretraining(starts)
    if before:  # runs from the bundled base, on the same machine as those from the new one
        budget_runs(project, before, deadline - (time.monotonic() - started), record)
    if minutes > 0:
        summary = pretrain(carry / "pack.npz", out / "base_renderer.pt", steps=int(minutes * 60 * 40),
                           batch_size=32, learning_rate_peak=3e-4, minutes=minutes, workers=12,
                           init=model_path(BASE_MODEL),
                           progress=lambda step, h: step % 500 == 0 and record(phase="pretrain", **h))
        record(phase="pretrain done", **{k: v for k, v in summary.items() if k != "history"})
        shutil.copy(out / "base_renderer.pt", model_path(BASE_MODEL))  # fine-tuning starts from the new base

    if all("@" in start for start in starts):
        budget_runs(project, starts, deadline - (time.monotonic() - started), record)
        return
    seconds_per_run = None
    for start in starts:
        began = time.monotonic()
        if start == "scratch" and seconds_per_run:  # the same steps, unless they would not end in time: then as many as fit
            rate = steps / seconds_per_run
            fitting = int((deadline - (began - started) - 20) * rate) // every * every
            if fitting < steps:
                record(phase="warning", message=f"scratch runs {fitting} steps, not {steps}: out of time")
                steps = max(fitting, every)
        points = curve(project, start == "scratch", steps, every, "standard")
        seconds_per_run = time.monotonic() - began
        record(phase="transfer", start=start, seconds=round(time.monotonic() - began, 1), points=points)
        shutil.copy(project.checkpoints_dir / "best.pt", out / f"t01_standard_{start}.pt")


def split_at_pretraining(starts: list[str]) -> tuple[list[str], list[str]]:
    """The runs listed before the item `pretrain` (from the bundled base) and those after it."""
    if "pretrain" not in starts:
        return [], starts
    at = starts.index("pretrain")
    return starts[:at], starts[at + 1:]


def recorder(path: Path):
    """record(**values): prints them as a JSON line and appends it to `path` at once, so what a
    run killed at its limit had measured still comes back."""
    results = path.open("a")

    def record(**values) -> None:
        print(json.dumps(values), flush=True)
        results.write(json.dumps(values) + "\n")
        results.flush()

    return record


def budget_runs(project, runs: list[str], seconds_left: float, record) -> None:
    """Fresh runs like "base@1000" (or "base@1000:2e-3", at that peak learning rate), each scored
    at its end; skipped when the steps/s seen so far say it would not end in the time left."""
    began, done_steps = time.monotonic(), 0
    for run in runs:
        start, _, length = run.partition("@")
        count, _, rate_given = length.partition(":")
        steps, peak = int(count), float(rate_given) if rate_given else None
        spent = time.monotonic() - began
        rate = done_steps / spent if done_steps else None
        if rate and steps / rate + 20 > seconds_left - spent:
            record(phase="warning", message=f"{run} skipped: out of time")
            continue
        point = budget_run(project, start == "scratch", steps, "standard", peak)
        done_steps += steps
        record(phase="budget", start=start, steps=steps, learning_rate=peak, **point)


def prepared_t01(carry: Path):
    """t01 as a twin project, prepared here by the product's own pipeline."""
    folder = data_root() / TWIN
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "footage").mkdir(parents=True)
    manifest = json.loads((carry / "t01_manifest.json").read_text())
    manifest.pop("prepared", None)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    shutil.copy(carry / "t01.mp4", folder / "footage" / manifest["footage"][0]["file"])
    project = open_project(TWIN)
    prepare_project(project)
    return open_project(TWIN)


if __name__ == "__main__":
    main()
