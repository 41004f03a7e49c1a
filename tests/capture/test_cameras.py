"""Cameras: a video file or an image sequence plays through the same VideoCapture path as a webcam."""

import time

import cv2
import numpy as np
import pytest

from desktop_twin.capture.cameras import list_cameras, open_camera
from desktop_twin.capture.errors import NoDeviceError
from tests.capture.rig import read_frames
from tests.conftest import shared_file

CLIP = "talking/t05_man_in_suit_6s.mp4"


def test_a_video_file_plays_as_a_camera_at_its_own_frame_rate():
    path = shared_file(CLIP)
    expected = read_frames(path, 10)
    with open_camera(path) as camera:
        frames = [camera.read() for _ in range(10)]
    assert camera.is_file and camera.fps == pytest.approx(22.13, abs=0.01)
    assert (camera.width, camera.height) == (700, 700)
    assert [f.index for f in frames] == list(range(10))
    assert np.diff([f.time for f in frames]) == pytest.approx(np.full(9, 1 / camera.fps))
    assert all(np.array_equal(f.image, e) for f, e in zip(frames, expected))


def test_an_image_sequence_plays_as_a_camera_and_ends_with_none(tmp_path):
    expected = read_frames(shared_file(CLIP), 5)
    for index, frame in enumerate(expected):
        cv2.imwrite(str(tmp_path / f"frame_{index:04d}.png"), frame)
    with open_camera(tmp_path / "frame_%04d.png") as camera:
        frames = [camera.read() for _ in range(6)]
    assert frames[5] is None
    assert all(np.array_equal(f.image, e) for f, e in zip(frames[:5], expected))


def test_a_file_camera_drops_frames_when_read_late_but_resumes_after_a_pause():
    with open_camera(shared_file(CLIP)) as camera:
        camera.read()
        time.sleep(3.5 / camera.fps)  # late by more than a frame: frames are skipped, as a camera would
        late = camera.read()
        assert late.index >= 3 and camera.dropped_frames == late.index - 1
        time.sleep(1.5)  # a pause between takes: play on from where it was
        resumed = camera.read()
        assert resumed.index == late.index + 1


def test_missing_cameras_and_unreadable_files_say_so(tmp_path):
    with pytest.raises(NoDeviceError, match="no camera 97"):
        open_camera(97)
    with pytest.raises(NoDeviceError, match="no camera called"):
        open_camera(tmp_path / "missing.mp4")
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(NoDeviceError, match="cannot be read"):
        open_camera(tmp_path / "notes.mp4")


def test_listing_cameras_reports_what_they_deliver():
    for camera in list_cameras():  # none on a machine without a webcam
        assert camera.width > 0 and camera.height > 0 and camera.fps > 0
