"""A real .twin for the runtime's tests: a short clip, prepared, trained a few steps, exported.

Built once per test session (about half a minute on two cores): the runtime is exercised on the
file a user would have, read through the same reader.
"""

from pathlib import Path

import numpy as np
import pytest

from desktop_twin.capture.footage import iterate_frames, probe_video
from desktop_twin.face.tracker import FaceTracker
from tests.twins import SHORT_CLIP, trained_twin

TWIN_CLIP = SHORT_CLIP  # the twin's own person
OTHER_PERSON_CLIP = "talking/t07_grid_speaker_a_3s.mpg"  # 3 s of someone else speaking, with audio
EXPRESSIVE_DRIVER = "driving/d03_expressive_woman_13s.mp4"  # someone else, strong expressions
TRAIN_STEPS = 3


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory):
    return trained_twin(tmp_path_factory.mktemp("twins"), steps=TRAIN_STEPS, device="cpu")


@pytest.fixture(scope="session")
def twin_file(trained_project, tmp_path_factory) -> Path:
    from desktop_twin.export.twin_export import export_twin

    path = tmp_path_factory.mktemp("exported") / "suit.twin"
    return export_twin(trained_project, path, measure_quality=False)


@pytest.fixture(scope="session")
def bundle(twin_file):
    from desktop_twin.export.bundle import read_twin

    return read_twin(twin_file)


def track_landmarks(path: Path, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """(times, smoothed landmarks in frame pixels) of the frames with a face in the first seconds."""
    fps = probe_video(path).fps
    tracker, times, landmarks = FaceTracker(), [], []
    for index, frame in enumerate(iterate_frames(path)):
        if index >= seconds * fps:
            break
        observation = tracker.track(frame, index / fps)
        if observation is not None:
            times.append(index / fps)
            landmarks.append(observation.landmarks)
    return np.array(times), np.stack(landmarks)
