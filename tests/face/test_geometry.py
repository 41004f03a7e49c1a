"""Alignment, sketch and smoothing on synthetic inputs whose answers are known."""

import numpy as np

from desktop_twin.face.align import (
    STABLE_POINTS,
    STABLE_TEMPLATE,
    canonical_transform,
    similarity_transform,
    transform_points,
    warp_to_crop,
)
from desktop_twin.face.sketch import draw_sketch
from desktop_twin.face.smoothing import OneEuroFilter


def _similarity(scale, angle, shift):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[scale * c, -scale * s, shift[0]], [scale * s, scale * c, shift[1]]])


def test_similarity_transform_recovers_a_known_transform():
    rng = np.random.default_rng(1)
    source = rng.uniform(0, 500, (7, 2))
    truth = _similarity(0.7, 0.3, (12.0, -40.0))
    target = source @ truth[:, :2].T + truth[:, 2]
    np.testing.assert_allclose(similarity_transform(source, target), truth, atol=1e-9)


def test_canonical_transform_puts_stable_points_on_the_template():
    landmarks = np.zeros((478, 3))
    pose = _similarity(2.5, -0.4, (300.0, 120.0))
    template_px = STABLE_TEMPLATE * 256
    landmarks[STABLE_POINTS, :2] = (template_px - pose[:, 2]) @ np.linalg.inv(pose[:, :2]).T
    matrix = canonical_transform(landmarks, 256)
    aligned = transform_points(landmarks[STABLE_POINTS], matrix)
    np.testing.assert_allclose(aligned[:, :2], template_px, atol=1e-6)


def test_warp_downscales_large_frames_without_shifting_them():
    frame = np.zeros((1024, 1024, 3), np.uint8)
    frame[500:524, 500:524] = 255
    matrix = np.array([[0.25, 0, 0], [0, 0.25, 0]])  # 4x smaller
    crop = warp_to_crop(frame, matrix, 256)
    ys, xs = np.nonzero(crop[..., 0] > 127)
    assert abs(ys.mean() - 128) < 1.0 and abs(xs.mean() - 128) < 1.0


def test_sketch_draws_each_region_in_its_own_channel():
    landmarks = np.random.default_rng(2).uniform(60, 200, (478, 2))
    sketch = draw_sketch(landmarks, 256)
    assert sketch.shape == (256, 256, 3) and sketch.dtype == np.uint8
    assert all(sketch[..., c].max() == 255 for c in range(3))
    blank = draw_sketch(np.full((478, 2), -100.0), 256)
    assert blank.max() == 0  # points outside the crop draw nothing


def test_one_euro_removes_jitter_when_still_and_follows_fast_motion():
    rng = np.random.default_rng(3)
    still, still_filter = [], OneEuroFilter()
    for i in range(100):
        still.append(still_filter(np.array([100.0]) + rng.normal(0, 1.0, 1), i / 25, scale=100.0))
    assert np.std(still[20:]) < 0.5  # jitter of 1 px cut by more than half

    moving, moving_filter = [], OneEuroFilter()
    for i in range(50):
        moving.append(moving_filter(np.array([20.0 * i]), i / 25, scale=100.0)[0])
    lag = 20.0 * 49 - moving[-1]
    assert lag < 20.0  # under one frame's motion behind at 500 px/s
