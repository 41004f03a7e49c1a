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


def default_preset(on_gpu: bool) -> str:
    """Standard on a GPU (best in about two minutes); draft on a CPU, where standard takes an hour."""
    return "standard" if on_gpu else "draft"


def get_preset(name: str) -> TrainPreset:
    if name not in PRESETS:
        raise UserError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return PRESETS[name]


# Pretraining the base: the share of samples drawn from photos when a pack has videos too
# (desktop_twin.training.pretrain).
PHOTO_SHARE = 0.3
