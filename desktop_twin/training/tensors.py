"""A batch of uint8 images (see batches.py) as float tensors on the training device."""

import numpy as np
import torch


def to_tensors(batch: dict[str, np.ndarray | torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """Images (B, H, W, 3) uint8 -> (B, 3, H, W) in [0, 1]; weight maps (B, H, W) -> (B, 1, H, W)."""
    tensors = {}
    for key, value in batch.items():
        value = torch.as_tensor(value).to(device, non_blocking=True)
        value = value.permute(0, 3, 1, 2) if value.ndim == 4 else value[:, None]
        tensors[key] = value.float() / 255.0 if key != "weights" else value.float()
    return tensors


def loader_threads(device: torch.device) -> int:
    """Threads that build batches ahead: a GPU waits on them, a CPU shares its cores with the model."""
    if device.type != "cuda":
        return 1
    return max(1, min(8, (torch.get_num_threads() or 2) - 1))
