"""Paste the rendered face crop back into the twin's frame, through a feathered face mask.

Only the face's bounding box in the frame is warped and blended: the whole frame would
cost ten times more (9-12 ms against about 1 ms at 640x480).
"""

import cv2
import numpy as np

from desktop_twin.face import topology
from desktop_twin.runtime.retarget import as_3x3

FACE_OVAL_POINTS = np.unique(np.array(topology.FACE_OVAL))
FEATHER_FRACTION = 0.04  # of the crop's side: how far inside the face's outline the blend fades


def face_mask(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(size, size) float32 in [0, 1]: 1 inside the face's outline, fading to 0 at the outline."""
    feather = max(1, round(FEATHER_FRACTION * size))
    mask = np.zeros((size, size), np.uint8)
    hull = cv2.convexHull(np.round(landmarks[FACE_OVAL_POINTS, :2]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255, cv2.LINE_AA)
    mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (feather + 1,) * 2))
    mask = cv2.GaussianBlur(mask, (2 * feather + 1,) * 2, feather / 2)
    return mask.astype(np.float32) * np.float32(1.0 / 255.0)


class Compositor:
    """The twin's frame with a rendered face put where the (moved) face belongs."""

    def __init__(self, frame_rgb: np.ndarray, frame_transform: np.ndarray, canonical_size: int):
        self.frame_bgr = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2BGR)
        self.canonical_size = canonical_size
        self.crop_to_frame = np.linalg.inv(as_3x3(frame_transform))

    def composite(self, face_rgb: np.ndarray, landmarks: np.ndarray, head_motion: np.ndarray) -> np.ndarray:
        """A new BGR frame. face_rgb is the renderer's (S, S, 3) crop, landmarks are the twin's in
        that crop's pixels, head_motion the canonical-crop similarity the head made."""
        size = face_rgb.shape[0]
        to_frame = self.render_to_frame(size, head_motion)
        mask = face_mask(landmarks, size)
        frame = self.frame_bgr.copy()
        box = self._box_in_frame(landmarks, to_frame)
        if box is None:
            return frame  # the face moved out of the frame
        x0, y0, x1, y1 = box
        to_box = to_frame - np.array([[0, 0, x0], [0, 0, y0]], np.float64)
        face = cv2.warpAffine(cv2.cvtColor(face_rgb, cv2.COLOR_RGB2BGR), to_box, (x1 - x0, y1 - y0),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.warpAffine(mask, to_box, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)[..., None]
        region = frame[y0:y1, x0:x1].astype(np.float32)
        region += (face.astype(np.float32) - region) * alpha
        region += np.float32(0.5)  # round; a blend of two 0-255 values needs no clipping
        frame[y0:y1, x0:x1] = region.astype(np.uint8)
        return frame

    def render_to_frame(self, size: int, head_motion: np.ndarray) -> np.ndarray:
        """2x3: the renderer's crop pixels -> the twin's frame pixels, the head's motion included."""
        to_canonical = np.diag([self.canonical_size / size, self.canonical_size / size, 1.0])
        return (self.crop_to_frame @ as_3x3(head_motion) @ to_canonical)[:2]

    def _box_in_frame(self, landmarks: np.ndarray, to_frame: np.ndarray) -> tuple[int, int, int, int] | None:
        """The face outline's bounding box in the frame, clipped to it; None when empty."""
        outline = landmarks[FACE_OVAL_POINTS, :2] @ to_frame[:, :2].T + to_frame[:, 2]
        height, width = self.frame_bgr.shape[:2]
        x0, y0 = np.floor(outline.min(axis=0)).astype(int) - 1
        x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 2
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None
