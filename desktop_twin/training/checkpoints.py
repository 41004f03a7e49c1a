"""Checkpoints: the model with its arguments, the step and the config, written atomically."""

import os
import shutil
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
    except (OSError, RuntimeError) as error:  # torch reports a short write as a RuntimeError
        Path(temporary).unlink(missing_ok=True)
        free = shutil.disk_usage(path.parent).free / 1e6
        raise UserError(f"Cannot save the checkpoint {path} ({free:.0f} MB free on that disk): "
                        f"{getattr(error, 'strerror', None) or str(error).splitlines()[0]}. Free some space "
                        "and run it again; the last checkpoint saved is kept.") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path, device: str = "cpu", mapped: bool = False) -> dict:
    """mapped: tensors stay in the file, read only when touched (to look at a checkpoint's record)."""
    try:
        state = torch.load(path, map_location=device, weights_only=False, mmap=mapped)
    except Exception as error:  # a damaged file fails in pickle, zip or torch, each in its own way
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(f"The checkpoint {path} cannot be read ({reason}).") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UserError(f"{path} is not a Desktop Twin checkpoint.")
    return state
