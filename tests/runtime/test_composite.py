"""The rendered face goes back into the twin's frame where the face is, through a feathered mask."""

import numpy as np
import pytest

from desktop_twin.runtime.composite import Compositor
from desktop_twin.runtime.twin_assets import TwinAssets

RED = (255, 0, 0)


@pytest.fixture(scope="module")
def assets(bundle) -> TwinAssets:
    return TwinAssets.from_bundle(bundle)


def composite_red_face(assets: TwinAssets, head_motion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frame with a flat red face pasted in, and the mask of pixels that changed."""
    compositor = Compositor(assets.frame_rgb, assets.frame_transform, assets.canonical_size)
    size = assets.render_size
    face = np.zeros((size, size, 3), np.uint8)
    face[:] = RED
    frame = compositor.composite(face, assets.neutral_at(size), head_motion)
    return frame, np.any(frame != compositor.frame_bgr, axis=2)


def test_the_face_lands_on_the_twins_face_and_nothing_else_changes(assets):
    frame_bgr, changed = composite_red_face(assets, np.eye(2, 3))
    # Where the neutral landmarks lie in the frame: inverse of frame -> crop.
    to_frame = np.linalg.inv(np.vstack([assets.frame_transform, [0, 0, 1]]))[:2]
    face = assets.neutral_landmarks[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
    nose_x, nose_y = np.round(face[1]).astype(int)  # 1: the nose tip, well inside the face
    assert tuple(frame_bgr[nose_y, nose_x]) == (0, 0, 255)  # red, in BGR, at full strength
    rows, columns = np.nonzero(changed)
    (left, top), (right, bottom) = face.min(axis=0), face.max(axis=0)
    assert left - 2 <= columns.min() and columns.max() <= right + 2
    assert top - 2 <= rows.min() and rows.max() <= bottom + 2
    assert changed.mean() < 0.5  # the frame around the face is left as it was


def test_head_motion_in_the_crop_moves_the_face_in_the_frame(assets):
    _, still = composite_red_face(assets, np.eye(2, 3))
    _, moved = composite_red_face(assets, np.array([[1.0, 0.0, 20.0], [0.0, 1.0, 0.0]]))
    frame_pixels_per_crop_pixel = 1.0 / np.sqrt(abs(np.linalg.det(assets.frame_transform[:, :2])))
    shift = np.nonzero(moved)[1].mean() - np.nonzero(still)[1].mean()
    assert shift == pytest.approx(20.0 * frame_pixels_per_crop_pixel, rel=0.05)
