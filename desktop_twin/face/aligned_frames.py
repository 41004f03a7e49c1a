"""Frames cut into the canonical crop, one way for everyone: prepare, evaluation, the ONNX evaluation.

The smoothed landmarks place the crop (no jitter); the raw ones describe what it shows.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.footage import iterate_frames
from desktop_twin.face.align import canonical_transform, transform_points, warp_to_crop
from desktop_twin.face.tracker import FaceObservation, FaceTracker

TRACKING_WARM_UP_SECONDS = 1.0  # the landmark smoothing settles well within this


@dataclass(frozen=True)
class AlignedFrame:
    index: int  # frame index in the video
    time_seconds: float
    crop_rgb: np.ndarray  # (crop_size, crop_size, 3) uint8
    crop_landmarks: np.ndarray  # (478, 3) raw landmarks in crop pixels


def align_observation(frame_bgr: np.ndarray, observation: FaceObservation, crop_size: int):
    """(crop BGR, source-to-crop matrix, raw landmarks in crop pixels) of one tracked frame."""
    matrix = canonical_transform(observation.landmarks, crop_size)
    crop = warp_to_crop(frame_bgr, matrix, crop_size)
    return crop, matrix, transform_points(observation.raw_landmarks, matrix)


def aligned_video_frames(path: Path, fps: float, first: int, last: float, crop_size: int) -> Iterator[AlignedFrame]:
    """Frames `first` up to `last` of a video that show a face, tracked and cut as prepare cuts them."""
    tracker = FaceTracker()
    # Tracking starts a little early, so the smoothing has the history it had in prepare.
    warm_up_from = max(0, first - round(TRACKING_WARM_UP_SECONDS * fps))
    for frame_index, frame in enumerate(iterate_frames(path)):
        if frame_index >= last:
            return
        if frame_index < warm_up_from:
            continue  # decoded, not tracked: seeking is frame-accurate for few codecs
        observation = tracker.track(frame, frame_index / fps)
        if observation is None or frame_index < first:
            continue
        crop, _, landmarks = align_observation(frame, observation, crop_size)
        yield AlignedFrame(frame_index, frame_index / fps, cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), landmarks)
