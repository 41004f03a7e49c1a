"""The 478-point face mesh: MediaPipe's attention mesh model through ONNX Runtime.

The model sees a 192x192 crop of a rotated square region of interest (ROI) and returns
478 points (the 468-point mesh with refined lips and eyes, plus 5 points per iris) and
a face-presence logit. The ROI comes from a detection on the first frame and from the
previous frame's landmarks afterwards, as in MediaPipe's video mode.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_twin.face.detector import FaceDetection
from desktop_twin.face.onnx_session import create_session
from desktop_twin.resources import model_path

MODEL_FILE = "face_mesh_478.onnx"
INPUT_SIZE = 192
NUM_POINTS = 478
ROI_SCALE = 1.5
# Outer eye corners, the person's right then left: they set the ROI's rotation.
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263


@dataclass(frozen=True)
class FaceRoi:
    """A square region of the frame, in pixels, turned by `rotation` radians
    (positive turns it clockwise on screen, image y pointing down)."""

    centre: tuple[float, float]
    size: float
    rotation: float


@dataclass(frozen=True)
class FaceMeshResult:
    # 478 x (x, y, z) float32. x, y in frame pixels; z is depth in the same units as x,
    # relative to the head's centre, smaller nearer the camera.
    landmarks: np.ndarray
    score: float  # face-presence probability: that the ROI holds a face


def _rotation_between(start: np.ndarray, end: np.ndarray) -> float:
    """Angle that levels the line from `start` to `end` (pixels)."""
    return float(np.arctan2(end[1] - start[1], end[0] - start[0]))


def _square_roi(box_min: np.ndarray, box_max: np.ndarray, rotation: float, scale: float) -> FaceRoi:
    centre = (box_min + box_max) / 2
    return FaceRoi((float(centre[0]), float(centre[1])), float(np.max(box_max - box_min)) * scale, rotation)


def roi_from_detection(detection: FaceDetection, scale: float = ROI_SCALE) -> FaceRoi:
    """The detection's box, squared on its long side and enlarged, level with the eyes."""
    rotation = _rotation_between(detection.keypoints[0], detection.keypoints[1])
    return _square_roi(detection.box[:2], detection.box[2:], rotation, scale)


def roi_from_landmarks(landmarks: np.ndarray, scale: float = ROI_SCALE) -> FaceRoi:
    """The landmarks' bounding box, squared and enlarged, level with the outer eye corners:
    where to look for the face in the next frame."""
    xy = landmarks[:, :2]
    rotation = _rotation_between(xy[RIGHT_EYE_OUTER], xy[LEFT_EYE_OUTER])
    return _square_roi(xy.min(axis=0), xy.max(axis=0), rotation, scale)


def crop_transform(roi: FaceRoi) -> np.ndarray:
    """Affine matrix from frame pixels to the model's crop; the ROI's edges land on the
    crop's edges (0 and 192), as in MediaPipe."""
    scale = INPUT_SIZE / roi.size
    cos, sin = np.cos(roi.rotation), np.sin(roi.rotation)
    linear = scale * np.array([[cos, sin], [-sin, cos]])
    shift = INPUT_SIZE / 2 - linear @ np.asarray(roi.centre)
    return np.hstack([linear, shift[:, None]])


def project_to_frame(crop_points: np.ndarray, roi: FaceRoi) -> np.ndarray:
    """Crop pixels -> frame pixels; z scales like x."""
    scale = roi.size / INPUT_SIZE
    cos, sin = np.cos(roi.rotation), np.sin(roi.rotation)
    rotate = np.array([[cos, -sin], [sin, cos]])
    points = np.empty_like(crop_points)
    points[:, :2] = scale * (crop_points[:, :2] - INPUT_SIZE / 2) @ rotate.T + roi.centre
    points[:, 2] = scale * crop_points[:, 2]
    return points


class FaceMesh:
    """478 landmarks of the face inside a ROI."""

    def __init__(self, path=None, threads: int = 1, providers: list | None = None):
        self.session = create_session(path or model_path(MODEL_FILE), threads, providers)

    def predict(self, frame_bgr: np.ndarray, roi: FaceRoi) -> FaceMeshResult:
        """Landmarks in a uint8 BGR frame (as OpenCV reads it) within `roi`."""
        crop = cv2.warpAffine(frame_bgr, crop_transform(roi), (INPUT_SIZE, INPUT_SIZE),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        image = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32)[None] / 255.0
        crop_points, face_flag = self.session.run(None, {"image": image})
        presence = float(1.0 / (1.0 + np.exp(-face_flag.item())))
        return FaceMeshResult(project_to_frame(crop_points[0], roi).astype(np.float32), presence)
