"""Training presets: what `draft`, `standard` and `high` mean."""

from dataclasses import dataclass

from desktop_twin.errors import UserError


@dataclass(frozen=True)
class TrainPreset:
    name: str
    image_size: int  # training and output resolution of the face crop
    batch_size: int
    learning_rate: float
    steps: int  # the most it runs; it stops earlier when held-out quality stops improving
    eval_every: int
    patience: int  # evaluations without improvement before it stops


PRESETS = {
    # Draft at twice the rate: measured better on every held-out figure, on two people.
    "draft": TrainPreset("draft", image_size=128, batch_size=8, learning_rate=2e-3, steps=6000,
                         eval_every=250, patience=4),
    "standard": TrainPreset("standard", image_size=256, batch_size=16, learning_rate=1e-3, steps=20000,
                            eval_every=500, patience=5),
    "high": TrainPreset("high", image_size=256, batch_size=32, learning_rate=7e-4, steps=60000,
                        eval_every=1000, patience=6),
}


# Standard everywhere: on a GPU it stops by itself in about two minutes; on a CPU, given a time
# limit (its schedule then follows the clock), it beats a draft run that has stopped by itself in
# a fraction of the time (tests/benchmarks/RESULTS.md).
DEFAULT_PRESET = "standard"
CPU_MINUTES = 10  # a CPU run's time limit when the person sets none


def time_limit(minutes: float | None, steps: int | None, on_gpu: bool) -> float | None:
    """A run's time limit in minutes, or None: the person's (0: none); else, on a CPU, CPU_MINUTES
    unless a step count bounds the run. On a CPU a standard run takes half an hour to an hour to
    stop by itself; most of what it gains comes in its first minutes."""
    if minutes is not None:
        return minutes or None
    return None if on_gpu or steps is not None else CPU_MINUTES


def get_preset(name: str) -> TrainPreset:
    if name not in PRESETS:
        raise UserError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return PRESETS[name]


# Pretraining the base: the share of samples drawn from photos when a pack has videos too
# (desktop_twin.training.pretrain).
PHOTO_SHARE = 0.3
