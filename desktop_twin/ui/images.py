"""Pictures between numpy and Qt: frames as QImage (made on any thread), landmark overlays."""

import cv2
import numpy as np
from PySide6.QtGui import QImage

PREVIEW_WIDTH = 480  # live frames are shrunk to this on the worker's thread, not the interface's


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an RGB uint8 array."""
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888).copy()


def bgr_image(bgr: np.ndarray, width: int | None = None) -> QImage:
    """A QImage of a BGR frame, shrunk to `width` pixels wide when it is wider."""
    return rgb_image(cv2.cvtColor(shrunk(bgr, width), cv2.COLOR_BGR2RGB))


def shrunk(image: np.ndarray, width: int | None) -> np.ndarray:
    if width is None or image.shape[1] <= width:
        return image
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def with_landmarks(bgr: np.ndarray, landmarks: np.ndarray | None, width: int = PREVIEW_WIDTH) -> QImage:
    """The frame shrunk to `width`, with the face mesh's points drawn on it."""
    small = shrunk(bgr, width).copy()
    if landmarks is not None and len(landmarks):
        scale = small.shape[1] / bgr.shape[1]
        points = np.round(np.asarray(landmarks)[:, :2] * scale).astype(int)
        inside = (points[:, 0] >= 0) & (points[:, 0] < small.shape[1]) & \
                 (points[:, 1] >= 0) & (points[:, 1] < small.shape[0])
        x, y = points[inside, 0], points[inside, 1]
        small[y, x] = (80, 255, 120)  # one bright pixel per point: cheap, and the face stays visible
    return bgr_image(small)


def center_square(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top:top + side, left:left + side]
