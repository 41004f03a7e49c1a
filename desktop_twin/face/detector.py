"""Face detection: MediaPipe's BlazeFace short-range model through ONNX Runtime.

Pre- and post-processing follow MediaPipe's face_detection_short_range graph: the
frame is padded to a centred square and scaled to 128x128, boxes are decoded against
896 fixed anchors, scored with a sigmoid, and merged by weighted non-maximum
suppression.
"""

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from desktop_twin.face.onnx_session import create_session
from desktop_twin.resources import model_path

MODEL_FILE = "face_detector.onnx"
INPUT_SIZE = 128
NUM_KEYPOINTS = 6
# SSD anchor layout of the short-range model: (stride, anchors per cell).
ANCHOR_LAYERS = ((8, 2), (16, 6))


@dataclass(frozen=True)
class FaceDetection:
    """One face, in source-frame pixels."""

    box: np.ndarray  # (x_min, y_min, x_max, y_max)
    # 6 x (x, y): right eye, left eye, nose tip, mouth centre, right ear, left ear
    # ("right" and "left" are the person's own: the right eye is on the image's left).
    keypoints: np.ndarray
    score: float


@cache
def anchor_centres() -> np.ndarray:
    """896 x 2 anchor centres in [0, 1]; every anchor has unit size."""
    centres = []
    for stride, per_cell in ANCHOR_LAYERS:
        cells = INPUT_SIZE // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=1)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def letterbox_transform(width: int, height: int) -> tuple[np.ndarray, float]:
    """Affine matrix from the frame to the model input (the frame centred in a square,
    zero border), and the side of that square in frame pixels."""
    side = float(max(width, height))
    scale = INPUT_SIZE / side
    matrix = np.array([[scale, 0, INPUT_SIZE / 2 - scale * width / 2],
                       [0, scale, INPUT_SIZE / 2 - scale * height / 2]], np.float64)
    return matrix, side


def decode(regressors: np.ndarray, logits: np.ndarray, min_score: float):
    """Boxes (x_min, y_min, x_max, y_max), keypoints and scores of the anchors that pass
    `min_score`, in the model input's unit square."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100.0, 100.0)))
    keep = scores >= min_score
    raw, anchors = regressors[keep] / INPUT_SIZE, anchor_centres()[keep]
    centres, sizes = raw[:, 0:2] + anchors, raw[:, 2:4]
    boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)
    keypoints = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anchors[:, None, :]
    return boxes, keypoints, scores[keep]


def box_area(boxes: np.ndarray) -> np.ndarray:
    return np.prod(np.clip(boxes[..., 2:] - boxes[..., :2], 0, None), axis=-1)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box with each of `boxes`."""
    overlap = np.concatenate([np.maximum(box[:2], boxes[:, :2]), np.minimum(box[2:], boxes[:, 2:])], axis=1)
    intersection = box_area(overlap)
    union = box_area(box) + box_area(boxes) - intersection
    return np.where(union > 0, intersection / np.maximum(union, 1e-12), 0.0)


def weighted_nms(boxes, keypoints, scores, iou_threshold: float):
    """MediaPipe's weighted non-maximum suppression: each cluster around the best
    remaining box becomes the score-weighted mean of its members, with the best score."""
    order = np.argsort(-scores, kind="stable")
    merged = []
    while order.size:
        best = order[0]
        in_cluster = iou(boxes[best], boxes[order]) > iou_threshold
        members = order[in_cluster]
        weights = scores[members] / scores[members].sum()
        merged.append((weights @ boxes[members],
                       np.tensordot(weights, keypoints[members], axes=1),
                       float(scores[best])))
        order = order[~in_cluster]
    return merged


class FaceDetector:
    """Finds faces in a frame; best first."""

    def __init__(self, path=None, threads: int = 1, providers: list | None = None,
                 min_score: float = 0.5, iou_threshold: float = 0.3):
        self.session = create_session(path or model_path(MODEL_FILE), threads, providers)
        self.min_score = min_score
        self.iou_threshold = iou_threshold

    def detect(self, frame_bgr: np.ndarray) -> list[FaceDetection]:
        """Faces in a uint8 BGR frame (as OpenCV reads it), best score first."""
        height, width = frame_bgr.shape[:2]
        matrix, side = letterbox_transform(width, height)
        regressors, logits = self.session.run(None, {"image": self._input(frame_bgr, matrix)})
        boxes, keypoints, scores = decode(regressors[0], logits[0, :, 0], self.min_score)
        faces = weighted_nms(boxes, keypoints, scores, self.iou_threshold)
        # Unit square of the model input -> frame pixels.
        offset = np.array([width, height]) / 2 - side / 2
        return [FaceDetection(box=(box.reshape(2, 2) * side + offset).ravel(),
                              keypoints=points * side + offset, score=score)
                for box, points, score in faces]

    @staticmethod
    def _input(frame_bgr: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        square = cv2.warpAffine(frame_bgr, matrix, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        rgb = cv2.cvtColor(square, cv2.COLOR_BGR2RGB).astype(np.float32)
        return (rgb / 127.5 - 1.0)[None]
