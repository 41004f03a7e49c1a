"""Which torch device trains: CUDA when there is one and it works, else the CPU."""

import torch

from desktop_twin.errors import UserError


def choose_device(requested: str = "auto") -> torch.device:
    if requested == "cpu":
        return torch.device("cpu")
    if requested in ("auto", "cuda"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if requested == "cuda":
            raise UserError("No usable CUDA GPU was found. Train on the CPU with --device cpu (or --device auto).")
        return torch.device("cpu")
    raise UserError(f"Unknown device {requested!r}: use auto, cpu or cuda.")


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
