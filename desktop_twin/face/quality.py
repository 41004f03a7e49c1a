"""Per-frame image quality of an aligned face crop: sharpness, exposure and face size."""

import cv2
import numpy as np

# Thresholds for warnings, on the 256 px canonical crop (measured on real footage:
# sharp studio frames reach 100-400, a visibly blurred face falls under 30).
MIN_SHARPNESS = 30.0
MIN_BRIGHTNESS = 60.0
MAX_BRIGHTNESS = 200.0
MIN_EYE_DISTANCE_PX = 40.0


def crop_sharpness(crop_bgr: np.ndarray) -> float:
    """Variance of the Laplacian over the face's middle, where the features are."""
    size = crop_bgr.shape[0]
    middle = crop_bgr[size // 4: 3 * size // 4, size // 4: 3 * size // 4]
    return float(cv2.Laplacian(cv2.cvtColor(middle, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var())


def crop_brightness(crop_bgr: np.ndarray) -> float:
    """Mean luma of the face's middle, 0-255."""
    size = crop_bgr.shape[0]
    middle = crop_bgr[size // 4: 3 * size // 4, size // 4: 3 * size // 4]
    return float(cv2.cvtColor(middle, cv2.COLOR_BGR2GRAY).mean())


def eye_distance(landmarks: np.ndarray) -> float:
    """Outer-eye-corner distance in the landmarks' pixels: the face's size in the frame."""
    return float(np.linalg.norm(landmarks[33, :2] - landmarks[263, :2]))
