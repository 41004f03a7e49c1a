"""Alignment of a face to the twin's canonical crop.

A similarity transform (scale, rotation, shift) maps points that barely move
with expression (eye corners, nose bridge, base of the nose) onto fixed
positions in the crop. The mouth and jaw are left free: their motion is the
expression the renderer must learn.
"""

import cv2
import numpy as np

CANONICAL_SIZE = 256

# Mesh indices of the stable points and where they sit in a unit crop (x right, y down);
# mean positions over a real talking-head clip, made symmetric. The crop then holds the
# forehead to just below the chin, the ears at its sides.
STABLE_POINTS = np.array([33, 133, 362, 263, 168, 6, 2])
STABLE_TEMPLATE = np.array(
    [
        [0.325, 0.405],  # 33: the person's right eye, outer corner
        [0.433, 0.413],  # 133: right eye, inner corner
        [0.567, 0.413],  # 362: left eye, inner corner
        [0.675, 0.405],  # 263: left eye, outer corner
        [0.500, 0.400],  # 168: nose bridge between the eyes
        [0.500, 0.430],  # 6: nose bridge, lower
        [0.500, 0.600],  # 2: base of the nose
    ],
    dtype=np.float64,
)


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity (Umeyama 1991) mapping source points onto target, as a 2x3 matrix."""
    source_mean, target_mean = source.mean(0), target.mean(0)
    s, t = source - source_mean, target - target_mean
    u, singular, vt = np.linalg.svd(t.T @ s / len(s))
    d = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ d @ vt
    scale = np.trace(np.diag(singular) @ d) / (s**2).sum(1).mean()
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = target_mean - matrix[:, :2] @ source_mean
    return matrix


def canonical_transform(landmarks: np.ndarray, size: int = CANONICAL_SIZE) -> np.ndarray:
    """The 2x3 matrix taking source-pixel coordinates into the size x size canonical crop."""
    return similarity_transform(landmarks[STABLE_POINTS, :2].astype(np.float64), STABLE_TEMPLATE * size)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 similarity to (N, 2+) points; z, when present, scales with the transform."""
    out = np.array(points, dtype=np.float32, copy=True)
    out[:, :2] = points[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    if points.shape[1] > 2:
        out[:, 2] = points[:, 2] * np.sqrt(abs(np.linalg.det(matrix[:, :2])))
    return out


def warp_to_crop(frame: np.ndarray, matrix: np.ndarray, size: int = CANONICAL_SIZE) -> np.ndarray:
    """The canonical crop of a frame; borders replicated so a face near the edge keeps its colours."""
    # Bilinear sampling aliases when it shrinks more than 2x: halve the frame first.
    while np.sqrt(abs(np.linalg.det(matrix[:, :2]))) < 0.5:
        frame = cv2.pyrDown(frame)
        matrix = np.hstack([matrix[:, :2] * 2.0, matrix[:, 2:]])  # pyrDown's pixel i sits at 2i
    return cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
