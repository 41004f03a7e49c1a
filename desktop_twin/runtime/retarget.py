"""Retargeting: the driver's expression and head motion onto the twin's face.

The driver may be someone else, with another face shape, so what transfers is how the
driver's face moves away from the driver's own neutral face, never the driver's shape:

- expression: the driver's landmarks are aligned to the canonical crop by their own
  similarity (which removes head roll, size and position); their offset from the driver's
  aligned neutral, scaled by the ratio of the two faces' eye distances, is added to the
  twin's neutral landmarks. Turning and nodding (out of the image plane) change the aligned
  shape too, so they transfer this way and the renderer draws the turned face.
- head motion in the image plane (roll, scale, shift): the similarity that takes the driver's
  neutral pose to its current pose, expressed in the canonical crop, moves the twin's
  rendered crop within the twin's frame by the same amount.

The driver's neutral is calibrated automatically as the median over the first second with a
face, and again on demand (recalibrate(), e.g. when another person sits down). Until the
second is over, the median of what has been seen so far serves.
"""

from dataclasses import dataclass

import numpy as np

from desktop_twin.face.align import canonical_transform, transform_points
from desktop_twin.face.quality import eye_distance

CALIBRATION_SECONDS = 1.0
# Inner-lip points facing each other, upper then lower, from one mouth corner to the other.
INNER_LIP_PAIRS = np.array([(191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402),
                            (310, 318), (415, 324)])


@dataclass(frozen=True)
class Retargeted:
    landmarks: np.ndarray  # (478, 3) float32: the twin's face, in canonical crop pixels
    head_motion: np.ndarray  # 2x3: canonical crop -> canonical crop, where the twin's face moves to


@dataclass(frozen=True)
class DriverNeutral:
    aligned: np.ndarray  # (478, 3) the driver's resting face in canonical crop pixels
    pose: np.ndarray  # 2x3 frame -> canonical crop of the driver's resting head


class Calibration:
    """Landmarks of the driver over a time window, and their median once it closes."""

    def __init__(self, seconds: float = CALIBRATION_SECONDS):
        self.seconds = seconds
        self.restart()

    def restart(self) -> None:
        self._started: float | None = None
        self._frame_landmarks: list[np.ndarray] = []
        self.neutral_frame_landmarks: np.ndarray | None = None  # fixed once the window closes

    @property
    def done(self) -> bool:
        return self.neutral_frame_landmarks is not None

    def add(self, frame_landmarks: np.ndarray, time_seconds: float) -> np.ndarray:
        """Take one frame's landmarks (frame pixels); the neutral estimate so far."""
        if self.done:
            return self.neutral_frame_landmarks
        if self._started is None:
            self._started = time_seconds
        if time_seconds - self._started > self.seconds and self._frame_landmarks:
            self.neutral_frame_landmarks = np.median(np.stack(self._frame_landmarks), axis=0)
            self._frame_landmarks = []
            return self.neutral_frame_landmarks
        self._frame_landmarks.append(np.asarray(frame_landmarks, np.float32))
        return np.median(np.stack(self._frame_landmarks), axis=0)


class Retargeter:
    def __init__(self, twin_neutral: np.ndarray, canonical_size: int, head_motion: bool = True,
                 calibration_seconds: float = CALIBRATION_SECONDS):
        self.twin_neutral = np.asarray(twin_neutral, np.float32)
        self.size = canonical_size
        self.follow_head = head_motion
        self.calibration = Calibration(calibration_seconds)
        self.neutral: DriverNeutral | None = None

    @property
    def calibrated(self) -> bool:
        return self.calibration.done

    def recalibrate(self) -> None:
        """Take the driver's neutral again, from the next second of frames with a face."""
        self.calibration.restart()
        self.neutral = None

    def retarget(self, driver_landmarks: np.ndarray, time_seconds: float) -> Retargeted:
        """The twin's landmarks and head motion for the driver's landmarks (frame pixels) at this time."""
        was_done = self.calibration.done
        estimate = self.calibration.add(driver_landmarks, time_seconds)
        if self.neutral is None or not was_done:
            self.neutral = driver_neutral(estimate, self.size)
        pose = canonical_transform(driver_landmarks, self.size)
        aligned = transform_points(driver_landmarks, pose)
        scale = eye_distance(self.twin_neutral) / max(eye_distance(self.neutral.aligned), 1e-6)
        landmarks = self.twin_neutral + (aligned - self.neutral.aligned) * np.float32(scale)
        motion = relative_motion(self.neutral.pose, pose) if self.follow_head else identity_motion()
        return Retargeted(uncross_lips(landmarks.astype(np.float32)), motion)

    def at_rest(self) -> Retargeted:
        """The twin's neutral face where it stands in its frame: what shows without a driver."""
        return Retargeted(self.twin_neutral.copy(), identity_motion())


def uncross_lips(landmarks: np.ndarray) -> np.ndarray:
    """Close, rather than cross, lips that the offsets would push through each other.

    A driver calibrated while talking has a half-open "neutral" mouth, so closing it moves the
    twin's lips further than the twin's own rest: the lower lip would rise above the upper one.
    The canonical crop is upright, so "above" is a smaller y."""
    upper, lower = landmarks[INNER_LIP_PAIRS[:, 0]], landmarks[INNER_LIP_PAIRS[:, 1]]
    crossed = lower[:, 1] < upper[:, 1]
    if crossed.any():
        middle = (upper[crossed, 1] + lower[crossed, 1]) / 2
        landmarks[INNER_LIP_PAIRS[crossed, 0], 1] = middle
        landmarks[INNER_LIP_PAIRS[crossed, 1], 1] = middle
    return landmarks


def driver_neutral(frame_landmarks: np.ndarray, size: int) -> DriverNeutral:
    pose = canonical_transform(frame_landmarks, size)
    return DriverNeutral(transform_points(frame_landmarks, pose), pose)


def as_3x3(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def relative_motion(neutral_pose: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """Canonical crop -> canonical crop: a point of the face at rest goes where the head has taken it.

    `pose` maps the current frame into the crop, so its inverse puts the crop (the face as it
    is now) back into the frame; `neutral_pose` then reads that frame position in the crop of
    the head at rest."""
    return (as_3x3(neutral_pose) @ np.linalg.inv(as_3x3(pose)))[:2]


def identity_motion() -> np.ndarray:
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
