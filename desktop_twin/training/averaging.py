"""An exponential moving average of the weights being trained: the twin that is evaluated, kept and exported.

Averaging the last steps' weights smooths out the noise of small batches: measured on t01's held-out
frames (draft preset, the CPU), +0.1 to +0.4 dB mid-run and +0.06 to +0.08 dB at the end of runs of
240 to 1,200 steps (tests/benchmarks/RESULTS.md).
"""

import copy

import torch

MAX_DECAY = 0.99  # an average over about the last hundred steps


def decay_at(step: int) -> float:
    """Low at first, so the average of a short run does not lag behind its weights."""
    return min(MAX_DECAY, (1 + step) / (10 + step))


class WeightAverage:
    def __init__(self, model: torch.nn.Module):
        self.model = copy.deepcopy(model).eval()
        self.model.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module, step: int) -> None:
        """Move the average towards the weights after `step` steps."""
        weight = 1.0 - decay_at(step)
        for averaged, trained in zip(self.model.parameters(), model.parameters(), strict=True):
            averaged.lerp_(trained, weight)
