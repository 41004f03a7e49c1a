"""Pretraining the base renderer across many people, on one device or several (torchrun, DDP).

Each sample takes a target frame and a reference frame of the same person, so the
renderer learns to draw whoever the reference shows, posed as the sketch says.
Half the steps run at 128 px and half at 256 px, so one base serves every preset.
Photos (one frame each: a reference that differs from its target only by the sample's
random shift, turn and scale) bring many more people than the videos do, but teach no
change of expression; `photo_share` sets how many samples they give.
"""

import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, IterableDataset

from desktop_twin.training.batches import BatchSampler, Clip
from desktop_twin.training.checkpoints import load_checkpoint, save_checkpoint
from desktop_twin.training.devices import mixed_precision
from desktop_twin.training.losses import reconstruction_loss
from desktop_twin.training.presets import PHOTO_SHARE
from desktop_twin.training.pretrain_data import load_pack
from desktop_twin.training.renderer import TwinRenderer, renderer_config
from desktop_twin.training.schedule import apply_gradients, learning_rate, schedule_step
from desktop_twin.training.tensors import to_tensors

SIZES = (128, 256)


def clip_weights(clip_sizes: list[int], photo_share: float) -> np.ndarray | None:
    """How often to draw each clip so that photos (one-frame clips) give `photo_share` of the
    samples and videos the rest, each clip of a kind as often as another; None: uniform."""
    is_photo = np.array(clip_sizes) == 1
    if is_photo.all() or not is_photo.any():
        return None
    return np.where(is_photo, photo_share / is_photo.sum(), (1 - photo_share) / (~is_photo).sum())


class _Batches(IterableDataset):
    """Endless batches from a pack, each loader worker with its own random stream."""

    def __init__(self, pack: Path, batch_size: int, seed: int, photo_share: float):
        self.pack, self.batch_size, self.seed, self.photo_share = pack, batch_size, seed, photo_share

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        seed = self.seed * 1000 + (info.id if info else 0)
        clips = [Clip(c, np.arange(len(c.jpegs))) for c in load_pack(self.pack)]
        weights = clip_weights([len(c.indices) for c in clips], self.photo_share)
        samplers = [BatchSampler(clips, size, seed=seed + size, clip_weights=weights) for size in SIZES]
        rng = np.random.default_rng(seed)
        for number in itertools.count():
            size_index = int(rng.integers(len(SIZES)))
            batch = samplers[size_index].batch(self.batch_size * (2 if SIZES[size_index] == 128 else 1), number)
            yield {k: torch.from_numpy(v) for k, v in batch.items()}


def pretrain(pack: Path, out: Path, steps: int, batch_size: int = 16, learning_rate_peak: float = 5e-4,
             minutes: float | None = None, workers: int = 0, preset: str = "standard",
             init: Path | None = None, photo_share: float = PHOTO_SHARE,
             progress: Callable[[int, dict], None] | None = None) -> dict:
    """Train the base renderer; init continues from an earlier base (its architecture, its weights)."""
    rank, world, device = _distributed_setup()
    model, earlier = _start_model(init, preset)
    model = model.to(device)
    trained = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate_peak, weight_decay=0.0)
    seed = rank + 100 * len(earlier)  # a continued run does not replay the batches of the runs before it
    loader = DataLoader(_Batches(pack, batch_size, seed, photo_share), batch_size=None, num_workers=workers,
                        persistent_workers=workers > 0, prefetch_factor=4 if workers else None,
                        pin_memory=device.type == "cuda")
    started, step, history = time.monotonic(), 0, []
    in_bfloat16 = mixed_precision(device)
    for step, batch in enumerate(loader, start=1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(schedule_step(step, steps, started, minutes), steps, learning_rate_peak)
        batch = to_tensors(batch, device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=in_bfloat16):
            fake = trained(batch["sketch"], batch["reference_image"], batch["reference_sketch"])
        losses = reconstruction_loss(fake.float(), batch["target"], batch["weights"])
        apply_gradients(losses["total"], model, optimizer)
        if step % 50 == 0:
            history.append({"step": step, **{k: float(v.detach()) for k, v in losses.items()}})
            if progress and rank == 0:
                progress(step, history[-1])
        out_of_time = minutes is not None and time.monotonic() - started > minutes * 60
        if step >= steps or out_of_time:
            break
    summary = {"steps": step, "seconds": time.monotonic() - started, "world_size": world,
               "device": str(device), "learning_rate_peak": learning_rate_peak, "batch_size": batch_size,
               "photo_share": photo_share,
               "history": history}
    if rank == 0:
        save_checkpoint(out, {"model_config": model.config,
                              "model_state": {k: v.cpu() for k, v in model.state_dict().items()},
                              "pretrain": summary, "earlier_runs": earlier})
    if world > 1:
        dist.destroy_process_group()
    return summary


def _start_model(init: Path | None, preset: str) -> tuple[TwinRenderer, list[dict]]:
    """A fresh renderer, or an earlier base's, with the record of the runs that made it."""
    if init is None:
        return TwinRenderer(**renderer_config(preset)), []
    earlier = load_checkpoint(init)
    model = TwinRenderer(**earlier["model_config"])
    model.load_state_dict(earlier["model_state"])
    runs = earlier.get("earlier_runs", []) + [{k: v for k, v in earlier.get("pretrain", {}).items() if k != "history"}]
    return model, runs


def _distributed_setup() -> tuple[int, int, torch.device]:
    """Rank, world size and device; under torchrun (WORLD_SIZE set) one process per GPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, local = dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")
