"""Quality of a camera picture: exposure, sharpness, and the face's size and place in it."""

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_twin.capture import warnings as w

ANALYSIS_HEIGHT = 256  # the face (or the picture's middle) is scaled to this height first
# Thresholds measured on real footage: sharp faces score 15-150, the same faces
# blurred by a 4-pixel Gaussian 2-9; a face lit normally has a mean luma of 120-170.
MIN_SHARPNESS = 10.0
MIN_BRIGHTNESS = 55.0
MAX_BRIGHTNESS = 225.0
MAX_SATURATED_FRACTION = 0.25  # share of pixels at full white
MIN_FACE_HEIGHT_FRACTION = 0.15
MIN_FACE_HEIGHT_PIXELS = 100
CUT_OFF_MARGIN = 0.02  # of the frame size: a mesh reaching past this is cut off


@dataclass(frozen=True)
class ImageMeasures:
    brightness: float  # mean luma 0-255 of the face (or the picture's middle)
    saturated_fraction: float
    sharpness: float  # variance of the Laplacian over the image variance, x1000
    face_height_fraction: float | None  # None: no face
    face_cut_off: bool


def measure_image(image_bgr: np.ndarray, face_box: tuple[float, float, float, float] | None) -> ImageMeasures:
    height, width = image_bgr.shape[:2]
    region = _face_region(image_bgr, face_box) if face_box else _middle(image_bgr)
    gray = _to_analysis_gray(region)
    return ImageMeasures(
        brightness=float(gray.mean()),
        saturated_fraction=float((gray >= 250).mean()),
        sharpness=sharpness(gray),
        face_height_fraction=(face_box[3] - face_box[1]) / height if face_box else None,
        face_cut_off=bool(face_box) and _is_cut_off(face_box, width, height),
    )


def image_warnings(measures: ImageMeasures, frame_height: int) -> list[w.QualityWarning]:
    found = []
    if measures.face_height_fraction is None:
        found.append(w.NO_FACE)
    elif measures.face_cut_off:
        found.append(w.FACE_CUT_OFF)
    elif (measures.face_height_fraction < MIN_FACE_HEIGHT_FRACTION
          or measures.face_height_fraction * frame_height < MIN_FACE_HEIGHT_PIXELS):
        found.append(w.FACE_TOO_SMALL)
    if measures.brightness < MIN_BRIGHTNESS:
        found.append(w.TOO_DARK)
    elif measures.brightness > MAX_BRIGHTNESS or measures.saturated_fraction > MAX_SATURATED_FRACTION:
        found.append(w.OVEREXPOSED)
    if measures.sharpness < MIN_SHARPNESS and measures.brightness >= MIN_BRIGHTNESS:
        found.append(w.BLURRED)  # a dark picture has no detail to judge; darkness is the warning
    return found


def sharpness(gray: np.ndarray) -> float:
    """Laplacian variance normalised by contrast, so dim or flat lighting does not read as blur."""
    gray = gray.astype(np.float32)
    return 1000.0 * float(cv2.Laplacian(gray, cv2.CV_32F).var()) / max(float(gray.var()), 1.0)


def _to_analysis_gray(region: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    scale = ANALYSIS_HEIGHT / gray.shape[0]
    size = (max(1, round(gray.shape[1] * scale)), ANALYSIS_HEIGHT)
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _face_region(image: np.ndarray, box) -> np.ndarray:
    height, width = image.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return _middle(image)
    return image[y0:y1, x0:x1]


def _middle(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    return image[height // 4: 3 * height // 4, width // 4: 3 * width // 4]


def _is_cut_off(box, width: int, height: int) -> bool:
    x0, y0, x1, y1 = box
    margin_x, margin_y = CUT_OFF_MARGIN * width, CUT_OFF_MARGIN * height
    return x0 < -margin_x or y0 < -margin_y or x1 > width + margin_x or y1 > height + margin_y
