"""A private PulseAudio server for capture tests: its null sink (a virtual speaker) feeds a
virtual source (a virtual microphone).

Sound played to the default output goes into the sink; the default input records the
source. PortAudio reaches PulseAudio through ALSA's "pulse" device.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SINK = "twin_test_speaker"
SOURCE = "twin_test_microphone"
PULSE_START_SECONDS = 15.0


@dataclass(frozen=True)
class PulseRig:
    device: str  # the PortAudio (ALSA) device that reaches PulseAudio's defaults
    sink: str
    source: str
    server: str


@pytest.fixture(scope="session")
def pulse_rig(tmp_path_factory) -> PulseRig:
    for tool in ("pulseaudio", "pactl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: pulseaudio pulseaudio-utils); installer/setup.sh adds it")
    runtime = tmp_path_factory.mktemp("pulse")
    socket = runtime / "native"
    server = f"unix:{socket}"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_RUNTIME_PATH": str(runtime),
           "HOME": str(runtime), "XDG_CONFIG_HOME": str(runtime / "config")}
    with open(runtime / "pulseaudio.log", "wb") as log:
        daemon = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
             f"--load=module-native-protocol-unix auth-anonymous=1 socket={socket}", "--log-target=stderr"],
            env=env, stdout=subprocess.DEVNULL, stderr=log, preexec_fn=_die_with_parent,
        )
    previous_server = os.environ.get("PULSE_SERVER")
    try:
        _wait_for_server(server, daemon, runtime)
        _pactl(server, "load-module", "module-null-sink", f"sink_name={SINK}", "rate=48000", "channels=1")
        _pactl(server, "load-module", "module-virtual-source", f"source_name={SOURCE}", f"master={SINK}.monitor")
        _pactl(server, "set-default-sink", SINK)
        _pactl(server, "set-default-source", SOURCE)
        os.environ["PULSE_SERVER"] = server  # for the ALSA plugin in this process and in children
        device = _portaudio_pulse_device()
        yield PulseRig(device, SINK, SOURCE, server)
    finally:
        if previous_server is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous_server
        daemon.terminate()
        daemon.wait(timeout=10)


def _die_with_parent() -> None:
    # If the test run itself crashes, the kernel ends the sound server too.
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_for_server(server: str, daemon: subprocess.Popen, runtime: Path) -> None:
    deadline = time.monotonic() + PULSE_START_SECONDS
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            log = (runtime / "pulseaudio.log").read_text(errors="replace")[-2000:]
            pytest.skip(f"pulseaudio would not start here:\n{log}")
        if subprocess.run(["pactl", "--server", server, "info"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    daemon.terminate()
    pytest.skip(f"pulseaudio did not answer within {PULSE_START_SECONDS:g} s")


def _pactl(server: str, *args: str) -> None:
    subprocess.run(["pactl", "--server", server, *args], check=True, capture_output=True)


def _portaudio_pulse_device() -> str:
    from desktop_twin.capture.microphones import list_microphones

    names = [m.name for m in list_microphones(rescan=True)]  # PortAudio must see the new server
    if "pulse" not in names:
        pytest.skip(f"PortAudio has no ALSA 'pulse' device (libasound2-plugins missing?); it sees {names}")
    return "pulse"
