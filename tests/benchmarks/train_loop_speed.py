"""Steps per second of `desktop-twin train`'s own loop on prepared footage, for each preset.

    DESKTOP_TWIN_HOME=/tmp/transfer python -m tests.benchmarks.train_loop_speed NAME [--device cpu] [--precisions float32 auto]

Runs the real trainer (data loading, augmentation, gradient clipping; no held-out evaluations)
on the prepared twin NAME for a few steps per preset and times the last three quarters, so
start-up and the base's loading stay out. It overwrites the twin's checkpoints: use a twin made
for measuring (tests/benchmarks/transfer.py prepares one called "transfer").
"""

import argparse
import json
import time

from desktop_twin.store import open_project
from tests.benchmarks.transfer import fresh_job

STEPS = {"draft": 300, "standard": 40, "high": 12}  # about half a minute each on a 2-core CPU


def loop_speed(project, preset: str, device: str, steps: int, float32: bool = False) -> float:
    job = fresh_job(project, preset, device, steps, every=10**6)
    job.mixed_precision = job.mixed_precision and not float32
    first, times = steps // 4, {}
    job.run(lambda event: event.step in (first, steps) and times.setdefault(event.step, time.monotonic()))
    return (steps - first) / (times[steps] - times[first])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precisions", nargs="+", default=["auto"], choices=["auto", "float32"],
                        help="auto: as the trainer chooses (bfloat16 where the device has it); several alternate")
    args = parser.parse_args()
    project = open_project(args.name)
    for preset, steps in STEPS.items():
        for precision in args.precisions:
            rate = loop_speed(project, preset, args.device, steps, float32=precision == "float32")
            print(json.dumps({"preset": preset, "device": args.device, "precision": precision,
                              "steps_per_second": round(rate, 2)}), flush=True)


if __name__ == "__main__":
    main()
