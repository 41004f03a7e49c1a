"""The identity network: bundled weights, shapes, gradients, and real faces."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from desktop_twin.training.identity import (
    SAME_PERSON_THRESHOLD, IdentityNetwork, identity_distance, load_identity_network)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("DESKTOP_TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))
# Fixed squares (left, top, side) as fractions of the frame width, around where dlib
# puts its face chips in these clips; generous enough for the head's movement.
FACE_BOXES = {
    "t01_news_correspondent_71s.mp4": (0.235, 0.31, 0.56),
    "t04_bearded_man_portrait_20s.mp4": (0.36, 0.29, 0.30),
}


@pytest.fixture(scope="module")
def network() -> IdentityNetwork:
    return load_identity_network()


def test_weights_load_frozen_in_float32(network):
    assert not network.training
    assert all(p.dtype == torch.float32 and not p.requires_grad for p in network.parameters())


def test_embedding_shape_and_determinism(network):
    images = torch.rand(3, 3, 180, 170, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        first, second = network.embed(images), network.embed(images)
    assert first.shape == (3, 128)
    assert torch.equal(first, second)
    assert identity_distance(first, second).shape == (3,)


def test_gradients_reach_the_input(network):
    images = torch.rand(2, 3, 256, 256, generator=torch.Generator().manual_seed(1))
    images.requires_grad_(True)
    reference = torch.zeros(2, 128)
    identity_distance(network.embed(images), reference).sum().backward()
    assert images.grad is not None
    assert torch.isfinite(images.grad).all() and images.grad.abs().sum() > 0


def _face(clip: str, fraction: float) -> torch.Tensor:
    """One frame's face square as RGB (3,150,150) in [0,1]."""
    video = cv2.VideoCapture(str(DATA / "talking" / clip))
    video.set(cv2.CAP_PROP_POS_FRAMES, int(fraction * video.get(cv2.CAP_PROP_FRAME_COUNT)))
    ok, bgr = video.read()
    assert ok, f"cannot read {clip}"
    left, top, side = (round(f * bgr.shape[1]) for f in FACE_BOXES[clip])
    square = cv2.resize(bgr[top:top + side, left:left + side], (150, 150),
                        interpolation=cv2.INTER_AREA)
    return torch.from_numpy(np.ascontiguousarray(square[:, :, ::-1])).permute(2, 0, 1) / 255.0


@pytest.mark.skipif(not (DATA / "talking").is_dir(),
                    reason=f"real footage not found at {DATA} (set DESKTOP_TWIN_SHARED_DATA)")
def test_same_person_closer_than_another(network):
    faces = torch.stack([_face("t01_news_correspondent_71s.mp4", 0.14),
                         _face("t01_news_correspondent_71s.mp4", 0.86),
                         _face("t04_bearded_man_portrait_20s.mp4", 0.5)])
    with torch.no_grad():
        a, b, other = network.embed(faces)
    same, different = identity_distance(a, b), identity_distance(a, other)
    # Measured: same about 0.3, different about 0.75.
    assert same < SAME_PERSON_THRESHOLD < different, (same, different)
