"""The landmark sketch: the mesh's contours drawn as lines, the renderer's input."""

import cv2
import numpy as np

from desktop_twin.face import topology

# One channel per group, so the renderer can tell lips from eyes from the face's outline.
SKETCH_CHANNELS = (
    topology.FACE_OVAL + topology.LEFT_EYEBROW + topology.RIGHT_EYEBROW + topology.NOSE,
    topology.LEFT_EYE + topology.RIGHT_EYE + topology.LEFT_IRIS + topology.RIGHT_IRIS,
    topology.LIPS,
)
_EDGES = tuple(np.array(group, dtype=np.int32) for group in SKETCH_CHANNELS)
_SUBPIXEL_BITS = 4  # cv2 fixed point: lines land to 1/16 px


def draw_sketch(landmarks: np.ndarray, size: int) -> np.ndarray:
    """Rasterise (478, 2+) landmarks given in crop pixels into a (size, size, 3) uint8 sketch."""
    points = np.round(landmarks[:, :2] * (1 << _SUBPIXEL_BITS)).astype(np.int32)
    thickness = max(1, round(size / 160))
    sketch = np.zeros((size, size, len(_EDGES)), np.uint8)
    for channel, edges in enumerate(_EDGES):
        layer = np.zeros((size, size), np.uint8)
        cv2.polylines(layer, list(points[edges]), False, 255, thickness, cv2.LINE_AA, _SUBPIXEL_BITS)
        sketch[..., channel] = layer
    return sketch
