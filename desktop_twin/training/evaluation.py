"""Held-out quality while training: render held-out frames from their own sketches and score them."""

import numpy as np
import torch

from desktop_twin.face.metrics import fidelity
from desktop_twin.training.batches import frame_sample, to_chw
from desktop_twin.training.data import PreparedData, sketch_at

EVAL_FRAMES = 40  # spread evenly over the held-out seconds


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [0, 1] -> (H, W, 3) uint8."""
    return (image.float().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255.0 + 0.5).astype(np.uint8)


@torch.no_grad()
def render_frames(model, data: PreparedData, indices, size: int, device, batch: int = 8):
    """(real, twin, landmarks at size) for each frame, the twin driven by the frame's own sketch."""
    was_training = model.training
    model.eval()
    results = []
    for start in range(0, len(indices), batch):
        samples = [frame_sample(data, int(i), size, None) for i in indices[start:start + batch]]
        sketches = np.stack([to_chw(sketch_at(lm, size, size)) for _, lm in samples])
        fakes = model(torch.from_numpy(sketches).to(device))
        results += [(image, to_uint8(fake), lm) for (image, lm), fake in zip(samples, fakes)]
    model.train(was_training)
    return results


def held_out_metrics(model, data: PreparedData, held_out: np.ndarray, size: int, device):
    chosen = held_out[np.linspace(0, len(held_out) - 1, min(EVAL_FRAMES, len(held_out))).astype(int)]
    frames = render_frames(model, data, chosen, size, device)
    scores = [fidelity(real, fake, lm) for real, fake, lm in frames]
    return {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}, frames


def sample_grid(frames, count: int = 4) -> np.ndarray:
    """Real frames above the twin's renderings of them, side by side."""
    picked = [frames[i] for i in np.linspace(0, len(frames) - 1, min(count, len(frames))).astype(int)]
    return np.vstack([np.hstack([f[0] for f in picked]), np.hstack([f[1] for f in picked])])
