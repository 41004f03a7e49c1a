"""The landmark track of a whole video: one (478, 3) array per frame, NaN where there is no face."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_twin.capture.footage import iterate_frames, probe_video
from desktop_twin.errors import UserError
from desktop_twin.face.tracker import FaceTracker
from desktop_twin.store.atomic import atomic_write_with
from desktop_twin.store.outputs import check_output_file


@dataclass
class LandmarkTrack:
    landmarks: np.ndarray  # (frames, 478, 3) float32, source pixels as the mesh saw them, NaN without a face
    score: np.ndarray  # (frames,) face-presence probability, 0 without a face
    fps: float


def track_video(path: Path, progress: Callable[[int, int], None] | None = None) -> LandmarkTrack:
    info = probe_video(path)
    tracker = FaceTracker()
    landmarks, scores = [], []
    for index, frame in enumerate(iterate_frames(path)):
        observation = tracker.track(frame, index / info.fps)
        landmarks.append(observation.raw_landmarks if observation else np.full((478, 3), np.nan, np.float32))
        scores.append(observation.score if observation else 0.0)
        if progress:
            progress(index + 1, max(info.frames, index + 1))
    if not landmarks:
        raise UserError(f"{Path(path).name} has no frames that can be decoded.")
    return LandmarkTrack(np.stack(landmarks), np.array(scores, np.float32), info.fps)


def check_track_path(path: Path, video: Path | None = None) -> None:
    """Before tracking: the track must go to a new or replaceable .npz file, not a folder, not the video."""
    check_output_file(path, ".npz", "a landmark track", video)


def write_track(path: Path, track: LandmarkTrack) -> None:
    check_track_path(path)
    atomic_write_with(Path(path), lambda f: np.savez_compressed(
        f, landmarks=track.landmarks, score=track.score, fps=np.float32(track.fps)))
