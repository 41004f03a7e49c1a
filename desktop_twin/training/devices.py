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


def mixed_precision(device: torch.device) -> bool:
    """Whether training computes in bfloat16 (weights and optimiser stay float32): on a GPU, and on a
    CPU with native bfloat16 (AVX512-BF16 or AMX), where it measured 1.1-1.5x faster at the same
    held-out quality. Other CPUs emulate it, slower than float32."""
    if device.type == "cuda":
        return True
    # Private but long-standing checks; without them, float32.
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check() for check in checks if check is not None)
