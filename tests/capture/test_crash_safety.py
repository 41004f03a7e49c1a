"""A recording survives its process being killed, and a disk that fills up."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_twin.capture import audio
from desktop_twin.capture.combine import combine_recording
from desktop_twin.capture.footage import iterate_frames, probe_video
from desktop_twin.capture.recording_format import VIDEO_INDEX_FILE
from desktop_twin.capture.recording_reader import open_recording
from desktop_twin.cli.main import main
from desktop_twin.store import create_project, open_project
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


def test_a_recording_killed_mid_way_keeps_all_but_the_last_second(pulse_rig, tmp_path):
    folder = tmp_path / "take"
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
            killed_at = time.monotonic()  # CLOCK_MONOTONIC is one clock for all processes
        finally:
            child.kill()
            child.wait()

    recording = open_recording(folder)
    assert recording.metadata.status == "recording"  # it never got to say it finished
    ran_for = killed_at - recording.video.times[0]
    video = combine_recording(folder)
    info = probe_video(video)
    assert info.duration_seconds >= ran_for - 1.0
    assert sum(1 for _ in iterate_frames(video)) == info.frames
    sound = audio.read_audio(video)
    assert len(sound) / audio.SAMPLE_RATE >= ran_for - 1.0
    assert audio.speech_seconds(sound) > 1.0
    print(f"\nkilled after {ran_for:.2f} s; kept {info.duration_seconds:.2f} s of video, "
          f"{len(sound) / audio.SAMPLE_RATE:.2f} s of sound")

    create_project("Ann")  # what the person does with a take left behind: import its folder
    assert main(["import", "Ann", str(folder)]) == 0
    footage = open_project("Ann").manifest.footage
    assert len(footage) == 1 and footage[0].duration_seconds >= ran_for - 1.0 and footage[0].has_audio


def test_a_full_disk_stops_the_recording_and_keeps_what_fits(pulse_rig, tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is needed to mount a small private disk")
    camera = shared_file(CAMERA_CLIP)
    script = (
        "mkdir -p {disk} && mount -t tmpfs -o size=3m tmpfs {disk} && "
        "exec {python} -m tests.capture.disk_full_child {disk}/take {camera} {device} {report} {output}"
    ).format(disk=tmp_path / "disk", python=sys.executable, camera=camera,
             device=pulse_rig.device, report=tmp_path / "report.json", output=tmp_path / "kept.mp4")
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0 and "mount" in done.stderr and not (tmp_path / "report.json").exists():
        pytest.skip(f"cannot mount a private small disk here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["stopped_early"]
    assert "disk" in report["message"] and "full" in report["message"]
    assert report["frames_readable"] == report["frames_written"] > 25
    assert probe_video(tmp_path / "kept.mp4").frames == report["frames_readable"]
