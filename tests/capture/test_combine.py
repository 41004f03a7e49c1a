"""A recording folder becomes one ordinary video file, with its tracks placed by capture time."""

import av
import cv2
import numpy as np
import pytest

from desktop_twin.capture.audio import read_audio
from desktop_twin.capture.combine import combine_recording, output_fps, output_frame_sources
from desktop_twin.capture.footage import probe_video
from tests.capture.rig import PLAYBACK_RATE, audio_lag, read_frames, write_synthetic_recording
from tests.conftest import shared_file

SPEECH = "speech/librispeech_test_other/2033/2033-164914-0000.flac"
FPS = 25.0


def test_output_frames_follow_capture_times_at_a_constant_rate():
    times = np.array([0.0, 0.04, 0.08, 0.16, 0.20, 0.23, 0.24])  # one frame lost, two early
    assert output_frame_sources(times, FPS).tolist() == [0, 1, 2, 2, 3, 4, 6]


def test_the_output_rate_is_what_the_camera_delivered_when_it_was_far_from_its_claim():
    steady_30 = np.arange(60) / 30.0 + np.random.default_rng(0).uniform(0, 0.004, 60)
    assert output_fps(steady_30, 30.0) == 30.0
    assert output_fps(np.arange(60) / 15.0, 30.0) == 15.0  # a webcam slowed down by dim light


@pytest.mark.parametrize("audio_lead", [0.3, -0.2], ids=["audio-starts-first", "video-starts-first"])
def test_the_tracks_are_aligned_by_capture_time(tmp_path, audio_lead):
    frames = read_frames(shared_file("talking/t01_news_correspondent_71s.mp4"), 75)
    speech = read_audio(shared_file(SPEECH), PLAYBACK_RATE)[:4 * PLAYBACK_RATE]
    first_frame = 1000.0
    write_synthetic_recording(tmp_path / "r", frames, first_frame + np.arange(75) / FPS,
                              (speech * 32767).astype(np.int16), audio_start=first_frame - audio_lead)
    video = combine_recording(tmp_path / "r")

    info = probe_video(video)
    assert (info.frames, info.fps, info.width, info.height) == (75, FPS, 512, 512)
    with av.open(str(video)) as container:
        assert [s.codec_context.name for s in container.streams] == ["h264", "aac"]
    recorded = read_audio(video, 16_000)
    assert len(recorded) == pytest.approx(3.0 * 16_000, abs=1024 + 16)  # the video's length
    lag, correlation = audio_lag(recorded, read_audio(shared_file(SPEECH), 16_000)[:4 * 16_000], 16_000)
    assert correlation > 0.9
    assert lag == pytest.approx(-audio_lead, abs=0.002)  # the sound captured with frame 0 plays with it
    first = cv2.VideoCapture(str(video)).read()[1]
    assert np.abs(first.astype(int) - frames[0]).mean() < 6


def test_a_recording_without_frames_is_refused(tmp_path):
    from desktop_twin.errors import UserError

    write_synthetic_recording(tmp_path / "r", [np.zeros((8, 8, 3), np.uint8)], [], np.zeros(4800, np.int16), 0.0)
    with pytest.raises(UserError, match="no video frames"):
        combine_recording(tmp_path / "r")
