"""Landmarks of one face over a video, found the way MediaPipe's video mode finds them."""

import numpy as np

from desktop_twin.face.detector import FaceDetector
from desktop_twin.face.mesh import FaceMesh, FaceMeshResult, FaceRoi, roi_from_detection, roi_from_landmarks

MIN_PRESENCE = 0.5


class FaceTracker:
    """Detects the face once, then follows it with the ROI built from the previous frame's
    landmarks; detects again when the mesh's presence score drops below `min_presence`.

    Unlike MediaPipe, which reports nothing for the frame on which the face was lost,
    the tracker detects again in that same frame.
    """

    def __init__(self, detector: FaceDetector | None = None, mesh: FaceMesh | None = None,
                 min_presence: float = MIN_PRESENCE):
        self.detector = detector or FaceDetector()
        self.mesh = mesh or FaceMesh()
        self.min_presence = min_presence
        self._roi: FaceRoi | None = None

    def reset(self) -> None:
        """Forget the face: the next frame starts with a detection (e.g. after a cut)."""
        self._roi = None

    def track(self, frame_bgr: np.ndarray, time_seconds: float | None = None) -> FaceMeshResult | None:
        """The face's landmarks in this uint8 BGR frame, or None where there is no face.

        `time_seconds` (the frame's time) is accepted for callers that pass it; tracking
        itself needs no clock (the landmarks are not smoothed here)."""
        if self._roi is not None:
            result = self.mesh.predict(frame_bgr, self._roi)
            if result.score >= self.min_presence:
                self._roi = roi_from_landmarks(result.landmarks)
                return result
        return self._detect(frame_bgr)

    def _detect(self, frame_bgr: np.ndarray) -> FaceMeshResult | None:
        self._roi = None
        detections = self.detector.detect(frame_bgr)
        if not detections:
            return None
        result = self.mesh.predict(frame_bgr, roi_from_detection(detections[0]))
        if result.score < self.min_presence:
            return None
        self._roi = roi_from_landmarks(result.landmarks)
        return result
