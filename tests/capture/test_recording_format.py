"""The recording folder is readable at any prefix of its files, as after a crash."""

import numpy as np
import pytest

from desktop_twin.capture import recording_format as fmt
from desktop_twin.capture.recording_reader import fit_audio_clock, open_recording
from tests.capture.rig import read_frames, write_synthetic_recording
from tests.conftest import shared_file

RATE = 48_000


def write_recording(folder, frames, fps=25.0):
    seconds = len(frames) / fps
    tone = (np.sin(np.arange(int(seconds * RATE)) / 20.0) * 8000).astype(np.int16)
    write_synthetic_recording(folder, frames, 100.0 + np.arange(len(frames)) / fps, tone, 100.0, fps=fps)


@pytest.fixture(scope="module")
def frames():
    return read_frames(shared_file("talking/t01_news_correspondent_71s.mp4"), 50)


def test_a_complete_recording_reads_back(tmp_path, frames):
    write_recording(tmp_path / "r", frames)
    recording = open_recording(tmp_path / "r")
    assert len(recording.video) == 50
    assert recording.video.times[1] - recording.video.times[0] == pytest.approx(0.04)
    decoded = list(recording.video.frames())
    assert np.abs(decoded[7].astype(int) - frames[7]).mean() < 3  # JPEG at quality 90
    assert recording.audio.seconds == pytest.approx(2.0, abs=0.01)
    assert recording.audio.clock.time_of(0) == pytest.approx(100.0, abs=1e-4)


def test_files_cut_anywhere_read_back_up_to_the_cut(tmp_path, frames):
    write_recording(tmp_path / "r", frames)
    folder = tmp_path / "r"
    for name, keep in [(fmt.VIDEO_FILE, 0.5), (fmt.VIDEO_INDEX_FILE, 0.8), (fmt.AUDIO_FILE, 0.5001),
                       (fmt.AUDIO_INDEX_FILE, 0.7)]:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[:int(len(data) * keep)])
    recording = open_recording(folder)
    assert 20 <= len(recording.video) < 50
    assert all(frame is not None for frame in recording.video.frames())
    assert recording.audio.seconds == pytest.approx(1.0, abs=0.01)
    assert recording.audio.clock is not None


def test_the_audio_clock_ignores_absurd_capture_ages_and_follows_drift():
    rate = 48_000
    firsts = np.arange(0, 20 * rate, 480, dtype=float)
    true_start, true_rate = 50.0, rate * 1.0001  # a device clock 100 ppm fast
    capture = true_start + firsts / true_rate
    ages = np.full(len(firsts), 0.010)
    ages[:100] = np.linspace(0.7, 0.1, 100)  # nonsense some drivers report while starting
    callbacks = capture + ages + np.random.default_rng(0).uniform(0, 0.004, len(firsts))
    blocks = np.column_stack([firsts, np.full(len(firsts), 480), callbacks, ages])
    clock = fit_audio_clock(blocks, rate)
    assert clock.time_of(0) == pytest.approx(true_start, abs=0.003)
    assert clock.time_of(19 * rate) == pytest.approx(true_start + 19 * rate / true_rate, abs=0.003)
