"""Out of GPU memory for real: a standard run on t01, on a GPU held to a few GiB (a small
consumer card, through the allocator's per-process limit) and asked for a batch past that,
halves the batch until it fits and carries on. The unit tests raise the error by hand; this
meets it on a real device.

    DEVICE_SCRIPT=tests/benchmarks/device_oom.py tests/benchmarks/device_twin_model.sh CARRY OUT [GIB [BATCH [STEPS]]]

on the GPU machine (device_twin_model.sh sets up the packages and says what CARRY holds).
Prints and writes OUT/oom.jsonl: each step's batch size, and the end.

The limit, not a huge batch, makes the shortage: batches are built ahead on threads, and
tens of thousands of samples each would fill the host's memory first.
"""

import sys
import time
from pathlib import Path

import torch

from desktop_twin.training.trainer import TrainJob
from tests.benchmarks.device_twin_model import prepared_t01, recorder


def main() -> None:
    carry, out = Path(sys.argv[1]), Path(sys.argv[2])
    gib = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    record = recorder(out / "oom.jsonl")
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(min(1.0, gib * 2**30 / total))
    record(gpu=torch.cuda.get_device_name(), memory_gib=round(total / 2**30), limit_gib=gib, asked_batch=batch)
    project = prepared_t01(carry)
    job = TrainJob(project, "standard", "cuda", steps=steps, from_scratch=True, speech=False)
    job.batch_size = batch
    started = time.monotonic()
    result = job.run(lambda event: event.step and record(step=event.step, batch_size=event.batch_size,
                                                         loss=round(event.losses["total"], 4),
                                                         seconds=round(time.monotonic() - started, 1)))
    record(end=result.stopped, steps=result.step, batch_size=job.batch_size,
           peak_memory_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2))


if __name__ == "__main__":
    main()
