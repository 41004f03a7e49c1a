"""Microphones, devices lost mid-take, and the record command end to end on the test rig."""

import hashlib
import io
import json
import subprocess
import threading
import time

import numpy as np
import pytest

from desktop_twin.capture.cameras import open_camera
from desktop_twin.cli.main import main
from desktop_twin.capture.combine import combine_recording
from desktop_twin.capture.errors import DeviceLostError, NoDeviceError
from desktop_twin.capture.footage import probe_video
from desktop_twin.capture.microphones import Microphone, find_microphone, list_microphones
from desktop_twin.capture.audio import read_audio
from desktop_twin.capture.recorder import RecordingJob
from desktop_twin.capture.session import SessionEvent
from desktop_twin.capture.terminal_guide import TerminalGuide
from desktop_twin.store import create_project, open_project
from tests.capture.rig import PLAYBACK_RATE, ScheduledPlayer
from tests.conftest import shared_file

CAMERA_CLIP = "talking/t01_news_correspondent_71s.mp4"
SPEECH = "speech/librispeech_test_other/3005/3005-163389-0000.flac"


def test_microphones_are_listed_and_found_by_name_or_index(pulse_rig):
    microphones = list_microphones()
    pulse = next(m for m in microphones if m.name == pulse_rig.device)
    assert pulse.channels >= 1 and pulse.default_sample_rate > 0
    assert find_microphone("PULS").index == pulse.index
    assert find_microphone(pulse.index).name == pulse.name
    with pytest.raises(NoDeviceError, match="no microphone"):
        find_microphone("a microphone that is not there")


def test_a_microphone_is_found_by_its_exact_name_before_names_that_contain_it(monkeypatch):
    from desktop_twin.capture import microphones

    found = [microphones.MicrophoneInfo(0, "sysdefault", "ALSA", 2, 48000.0, False),
             microphones.MicrophoneInfo(1, "default", "ALSA", 2, 48000.0, True)]
    monkeypatch.setattr(microphones, "list_microphones", lambda: found)  # a typical ALSA list, at the edge
    assert find_microphone("default").index == 1 and find_microphone("DEFAULT").index == 1
    assert find_microphone("sysdef").index == 0


class SlowToStartMicrophone(Microphone):
    """A real microphone whose first 2.5 s of sound never arrive, then whose sound comes in bursts a
    third of a second apart, as from a wireless headset that has just switched profiles."""

    def _on_audio(self, indata, frames, times, status):
        now = time.monotonic()
        if now - self._started < 2.5:
            return
        self._held.append(indata.copy())
        if now - self._last_burst >= 0.33:
            self._last_burst = now
            super()._on_audio(np.concatenate(self._held), frames, times, status)
            self._held = []

    def start(self):
        self._started, self._last_burst, self._held = time.monotonic(), 0.0, []
        super().start()


def test_a_microphone_slow_to_start_is_waited_for_not_taken_for_unplugged(pulse_rig, tmp_path):
    with open_camera(shared_file(CAMERA_CLIP)) as camera:
        job = RecordingJob(camera, SlowToStartMicrophone(find_microphone(pulse_rig.device)), tmp_path / "take",
                           seconds=2)
        result = job.run()
    assert not result.stopped_early, result.message
    assert result.frames >= 40 and result.audio_seconds >= 1.5


class UnpluggedCamera:
    """A real file camera that is pulled out after a number of frames."""

    def __init__(self, camera, frames: int):
        self._camera, self._left = camera, frames
        self.description, self.fps = camera.description, camera.fps
        self.width, self.height = camera.width, camera.height

    @property
    def dropped_frames(self):
        return self._camera.dropped_frames

    def read(self):
        if self._left == 0:
            raise DeviceLostError("The camera stopped delivering pictures (unplugged?).")
        self._left -= 1
        return self._camera.read()


def test_a_camera_lost_mid_take_stops_it_cleanly_and_keeps_what_was_recorded(pulse_rig, tmp_path):
    with open_camera(shared_file(CAMERA_CLIP)) as camera:
        job = RecordingJob(UnpluggedCamera(camera, 30), Microphone(find_microphone(pulse_rig.device)),
                           tmp_path / "take", seconds=10)
        result = job.run()
    assert result.stopped_early and "unplugged" in result.message
    assert result.frames == 30
    video = combine_recording(result.folder)
    combined = probe_video(video)  # a frame that came late is shown longer, so the video keeps real time
    assert combined.frames >= 30
    assert len(read_audio(video)) / 16_000 == pytest.approx(combined.frames / combined.fps, abs=0.05)  # sound ends with it
    metadata = json.loads((result.folder / "recording.json").read_text())
    assert metadata["status"] == "stopped" and metadata["frames"] == 30


def test_a_microphone_that_stops_delivering_stops_the_take_and_keeps_what_was_recorded(pulse_rig, tmp_path):
    def suspend_source(progress):
        if progress.frames == 25:  # the sound server stops feeding the microphone, as when it is pulled out
            threading.Thread(target=subprocess.run, args=(
                ["pactl", "--server", pulse_rig.server, "suspend-source", pulse_rig.source, "1"],)).start()

    try:
        with open_camera(shared_file(CAMERA_CLIP)) as camera:
            job = RecordingJob(camera, Microphone(find_microphone(pulse_rig.device)), tmp_path / "take", seconds=20)
            result = job.run(suspend_source)
    finally:
        subprocess.run(["pactl", "--server", pulse_rig.server, "suspend-source", pulse_rig.source, "0"], check=True)
    assert result.stopped_early and "microphone" in result.message
    assert result.frames < 20 * 25
    assert 0.9 <= result.audio_seconds <= result.frames / 25
    assert combine_recording(result.folder).stat().st_size > 0


def records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_the_record_command_takes_consent_once_then_records_guided_takes_as_footage(pulse_rig, capsys):
    create_project("Ann")
    speech, camera = read_audio(shared_file(SPEECH), PLAYBACK_RATE), shared_file(CAMERA_CLIP)
    arguments = ["record", "Ann", "--camera", str(camera), "--mic", pulse_rig.device, "--json"]
    with ScheduledPlayer(pulse_rig.device) as player:
        player.play(speech)
        first_code = main(arguments + ["--seconds", "3"])
        first = records(capsys.readouterr().out)
        second_code = main(arguments + ["--seconds", "2"])
        second = records(capsys.readouterr().out)

    assert first_code == 0 and second_code == 0
    prompts = [r for r in first if r["event"] == "prompt"]
    assert prompts[0]["phase"] == "consent" and "I am Ann and I agree" in prompts[0]["text"]
    assert prompts[1]["phase"] == "take"
    assert not any(r.get("phase") == "consent" for r in second)  # consent is asked once per twin
    status = [r for r in first if r["event"] == "status" and r["phase"] == "take"]
    assert "coverage" in status[-1] and 0 < status[-1]["coverage"]["score"] <= 1

    combining = [r["fraction"] for r in first if r["event"] == "combining"]
    assert combining[0] == 0.0 and combining[-1] == 1.0 and combining == sorted(set(combining))
    finished = first[-1]
    assert finished["event"] == "finished" and finished["audio_overflows"] >= 0
    consent_folder = open_project("Ann").recordings_dir / finished["folder"].rsplit("/", 1)[-1] / "consent"
    consent = json.loads((consent_folder / "consent.json").read_text())
    clip_hash = hashlib.sha256((consent_folder / consent["clip"]).read_bytes()).hexdigest()
    assert consent["sha256"] == finished["consent_sha256"] == clip_hash
    assert consent["name"] == "Ann" and consent["statement"].startswith("I am Ann")

    footage = open_project("Ann").manifest.footage
    assert [round(f.duration_seconds) for f in footage] == [3, 2]
    assert all(f.has_audio for f in footage)


def test_the_record_command_says_what_is_missing(capsys):
    assert main(["record", "Nobody"]) == 1
    assert "no twin called 'Nobody'" in capsys.readouterr().err
    create_project("Ann")
    assert main(["record", "Ann", "--camera", "97"]) == 1
    assert "no camera 97" in capsys.readouterr().err
    assert open_project("Ann").manifest.footage == []


def test_the_terminal_guide_shows_combining_in_tenths():
    out = io.StringIO()
    guide = TerminalGuide(out)
    for fraction in (0.0, 0.04, 0.1, 0.12, 0.35, 1.0):
        guide(SessionEvent("combining", None, False, None, None, fraction))
    assert out.getvalue().split("\n") == ["", "Turning the take into one video file...", "  10% done", "  30% done",
                                          "  100% done", ""]
