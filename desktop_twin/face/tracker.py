"""Landmarks of one face over a video, found the way MediaPipe's video mode finds them.

The detector runs only when there is no face yet or the mesh loses it; between
detections the next region of interest comes from the previous landmarks.
Each observation carries the raw landmarks (what the frame shows: sketches and
accuracy checks use them) and a smoothed copy (One Euro filter: steady crops
without jitter, and no lag on fast motion).
"""

from dataclasses import dataclass

import numpy as np

from desktop_twin.face.detector import FaceDetector
from desktop_twin.face.mesh import FaceMesh, FaceMeshResult, FaceRoi, roi_from_detection, roi_from_landmarks
from desktop_twin.face.quality import eye_distance
from desktop_twin.face.smoothing import OneEuroFilter

MIN_PRESENCE = 0.5  # MediaPipe's threshold on the mesh's face-presence probability


@dataclass(frozen=True)
class FaceObservation:
    raw_landmarks: np.ndarray  # (478, 3) float32, frame pixels, as the mesh saw this frame
    landmarks: np.ndarray  # the same, smoothed over time
    score: float  # face-presence probability


class FaceTracker:
    """Unlike MediaPipe, which reports nothing for the frame on which the face was lost,
    the tracker detects again in that same frame."""

    def __init__(self, detector: FaceDetector | None = None, mesh: FaceMesh | None = None,
                 min_presence: float = MIN_PRESENCE, smoothing: OneEuroFilter | None = None):
        self.detector = detector or FaceDetector()
        self.mesh = mesh or FaceMesh()
        self.min_presence = min_presence
        self.smoothing = smoothing or OneEuroFilter()
        self._roi: FaceRoi | None = None

    def reset(self) -> None:
        """Forget the face: the next frame starts with a detection (e.g. after a cut)."""
        self._roi = None
        self.smoothing.reset()

    def track(self, frame_bgr: np.ndarray, time_seconds: float) -> FaceObservation | None:
        """The face in this uint8 BGR frame, or None where there is none."""
        result = self._follow(frame_bgr) if self._roi is not None else None
        result = result or self._detect(frame_bgr)
        if result is None:
            self.reset()
            return None
        self._roi = roi_from_landmarks(result.landmarks)
        smoothed = self.smoothing(result.landmarks, time_seconds, scale=eye_distance(result.landmarks))
        return FaceObservation(result.landmarks, smoothed.astype(np.float32), result.score)

    def _follow(self, frame_bgr: np.ndarray) -> FaceMeshResult | None:
        result = self.mesh.predict(frame_bgr, self._roi)
        return result if result.score >= self.min_presence else None

    def _detect(self, frame_bgr: np.ndarray) -> FaceMeshResult | None:
        detections = self.detector.detect(frame_bgr)
        if not detections:
            return None
        result = self.mesh.predict(frame_bgr, roi_from_detection(detections[0]))
        return result if result.score >= self.min_presence else None
