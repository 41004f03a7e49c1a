"""An audio file played as the twin's voice, on the PulseAudio test server's speaker."""

import subprocess
import time

import pytest

from desktop_twin.capture.errors import DeviceLostError
from desktop_twin.capture.microphones import list_microphones
from desktop_twin.runtime.voice_file import VoiceFile
from tests.capture.conftest import pulse_rig  # noqa: F401 (a fixture)
from tests.conftest import shared_file

VOICE = "speech/librispeech_test_other/1688/1688-142285-0000.flac"


def wait_for(condition, seconds: float, voice: VoiceFile) -> None:
    """Drain the voice as the twin would until `condition()` holds; DeviceLostError passes through."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s"
        voice.drain()
        time.sleep(0.02)


def test_a_device_rescan_waits_while_a_file_plays(pulse_rig):  # noqa: F811
    voice = VoiceFile(shared_file(VOICE), pulse_rig.device)
    voice.start()
    try:
        wait_for(lambda: voice.position > voice.sample_rate, 10.0, voice)  # a second played (the idle sink wakes first)
        list_microphones(rescan=True)  # restarting PortAudio now would end the stream under the speaker
        now = voice.position
        wait_for(lambda: voice.position > now + voice.sample_rate // 2, 10.0, voice)  # it plays on
    finally:
        voice.stop()


def test_a_speaker_that_stalls_mid_file_is_reported(pulse_rig):  # noqa: F811
    voice = VoiceFile(shared_file(VOICE), pulse_rig.device)
    voice.start()
    suspend = ["pactl", "--server", pulse_rig.server, "suspend-sink", pulse_rig.sink]
    try:
        wait_for(lambda: voice.position > voice.sample_rate, 10.0, voice)
        subprocess.run(suspend + ["1"], check=True)  # the sound server stops asking for sound
        with pytest.raises(DeviceLostError, match="speaker stopped"):
            wait_for(lambda: False, 20.0, voice)
        assert not voice.ended
    finally:
        subprocess.run(suspend + ["0"], check=True)
        voice.stop()
