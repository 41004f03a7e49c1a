"""A real recording whose process was killed mid-take, as a crash leaves it (a fixture for the
crash tests and the record page)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_twin.capture import audio
from desktop_twin.capture.recording_format import VIDEO_INDEX_FILE
from tests.capture.rig import PLAYBACK_RATE, ScheduledPlayer
from tests.conftest import REPO, shared_file

CAMERA_CLIP = "talking/t01_news_correspondent_71s.mp4"
SPEECH = "speech/librispeech_test_other/1998/1998-15444-0000.flac"
RECORD_BEFORE_KILL_SECONDS = 3.0
CHILD_START_TIMEOUT = 60.0  # generous: only bounds a hang, asserts nothing about speed


def recorded_seconds(folder: Path) -> float:
    index = folder / VIDEO_INDEX_FILE
    if not index.exists():
        return 0.0
    lines = index.read_text().split("\n")[:-1]
    if len(lines) < 2:
        return 0.0
    return float(lines[-1].split(",")[1]) - float(lines[0].split(",")[1])


@dataclass(frozen=True)
class KilledTake:
    folder: Path  # its tracks, as the killed recorder left them
    killed_at: float  # CLOCK_MONOTONIC, one clock for all processes


@pytest.fixture(scope="module")
def killed_take(pulse_rig, tmp_path_factory) -> KilledTake:
    """A recording whose process was killed after a few seconds, once for the module; tests copy it."""
    folder = tmp_path_factory.mktemp("killed") / "take"
    speech, camera = audio.read_audio(shared_file(SPEECH), PLAYBACK_RATE), shared_file(CAMERA_CLIP)
    with ScheduledPlayer(pulse_rig.device) as player:
        player.play(speech)
        child = subprocess.Popen([sys.executable, "-m", "tests.capture.record_child", str(folder), str(camera),
                                  pulse_rig.device], cwd=REPO)
        try:
            deadline = time.monotonic() + CHILD_START_TIMEOUT
            while recorded_seconds(folder) < RECORD_BEFORE_KILL_SECONDS and child.poll() is None:
                assert time.monotonic() < deadline, "the recording did not get going"
                time.sleep(0.05)
            os.kill(child.pid, signal.SIGKILL)
            killed_at = time.monotonic()
        finally:
            child.kill()
            child.wait()
    return KilledTake(folder, killed_at)


def copy_of(take: KilledTake, folder: Path, age_seconds: float = 0.0) -> Path:
    """The killed take copied to folder, its files dated age_seconds back (as when the app starts again later)."""
    shutil.copytree(take.folder, folder)
    then = time.time() - age_seconds
    for path in folder.iterdir():
        os.utime(path, (then, then))
    return folder
