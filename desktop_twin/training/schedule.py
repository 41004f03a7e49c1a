"""The learning-rate schedule and gradient clipping shared by fine-tuning and pretraining."""

import math
import time

import torch

WARMUP_STEPS = 100
# The renderer has no normalisation layers: clipping keeps a bad batch from throwing the weights off.
GRADIENT_CLIP_NORM = 1.0


def learning_rate(step: int, total: int, peak: float) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < WARMUP_STEPS:
        return peak * (step + 1) / WARMUP_STEPS
    progress = min(1.0, (step - WARMUP_STEPS) / max(1, total - WARMUP_STEPS))
    return peak * (0.1 + 0.45 * (1.0 + math.cos(math.pi * progress)))


def schedule_step(step: int, total: int, started: float, minutes: float | None) -> int:
    """Where the schedule stands: by steps, or by the clock when a time limit will end the run first,
    so the learning rate has decayed when the time is up."""
    if minutes is None:
        return step
    return max(step, int((time.monotonic() - started) / (minutes * 60) * total))


def apply_gradients(loss: torch.Tensor, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """One optimiser step on `loss`, its gradient norm clipped."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), GRADIENT_CLIP_NORM)
    optimizer.step()
