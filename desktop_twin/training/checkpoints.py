"""Checkpoints: the model with its arguments, the step and the config, written atomically."""

import os
import tempfile
from pathlib import Path

import torch

from desktop_twin.errors import UserError

FORMAT = "desktop-twin-checkpoint-1"
LATEST_CHECKPOINT = "latest.pt"  # in a twin's checkpoints folder: what a training run goes on from


def save_checkpoint(path: Path, state: dict) -> None:
    """torch.save into a temporary file beside path, then rename: a crash keeps the last good one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save({"format": FORMAT, **state}, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path, device: str = "cpu", mapped: bool = False) -> dict:
    """mapped: tensors stay in the file, read only when touched (to look at a checkpoint's record)."""
    try:
        state = torch.load(path, map_location=device, weights_only=False, mmap=mapped)
    except (OSError, RuntimeError, EOFError) as error:
        raise UserError(f"The checkpoint {path} cannot be read ({error}).") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UserError(f"{path} is not a Desktop Twin checkpoint.")
    return state
