"""A baked renderer in a checkpoint and back: its arguments, weights and the reference it holds."""

import torch

from desktop_twin.training.renderer import BakedRenderer, SketchGenerator


def baked_state(model: BakedRenderer) -> dict:
    return {"config": dict(model.config), "state": model.state_dict(), "reference": getattr(model, "reference", None)}


def baked_from_state(saved: dict) -> BakedRenderer:
    config = saved["config"]
    generator = SketchGenerator(config["width"], config["blocks"])
    weights = saved["state"]
    shifts = [weights[f"shifts.{i}"] for i in range(len(generator.blocks))]
    # Gains of one: the saved weights already have the reference's gains folded in.
    model = BakedRenderer(generator, weights["stem_shift"], [(torch.ones(1), s) for s in shifts], config)
    model.load_state_dict(weights)
    model.reference = saved.get("reference")
    return model
