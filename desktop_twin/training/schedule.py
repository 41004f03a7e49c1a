"""The learning-rate schedule and gradient clipping shared by fine-tuning and pretraining."""

import math

WARMUP_STEPS = 100
# The renderer has no normalisation layers: clipping keeps a bad batch from throwing the weights off.
GRADIENT_CLIP_NORM = 1.0


def learning_rate(step: int, total: int, peak: float) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < WARMUP_STEPS:
        return peak * (step + 1) / WARMUP_STEPS
    progress = min(1.0, (step - WARMUP_STEPS) / max(1, total - WARMUP_STEPS))
    return peak * (0.1 + 0.45 * (1.0 + math.cos(math.pi * progress)))
