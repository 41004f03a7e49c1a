"""Screenshots of the real application walking the user's path, for the README.

Starts a private Xvfb display and a private PulseAudio server (its virtual microphone hears the
footage's own sound), then runs Desktop Twin on them with a throw-away data folder and settings:
library -> record from a video file standing in for the camera -> train a few steps -> preview
-> export. Each step's window is saved under installer/screenshots/. Faces from the footage are
pixelated in the pictures (the footage is test material, not ours to publish).

    .venv/bin/python installer/screenshots.py --footage ../shared/data/talking/t05_man_in_suit_6s.mp4
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "installer" / "screenshots"
DEFAULT_FOOTAGE = REPO.parent / "shared" / "data" / "talking" / "t05_man_in_suit_6s.mp4"
TWIN = "Sam"
WINDOW_SIZE = (1180, 760)
PIXEL_BLOCK = 14  # side of the blocks footage is pixelated into
_ERRORS: list = []  # what the application reported going wrong


def die_with_parent() -> None:
    """In the child, before it runs: the kernel ends it when this script ends, however it ends."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=die_with_parent)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        raise SystemExit("Xvfb would not start (Debian: apt install xvfb)")
    return server, f":{number}"


def start_pulseaudio(runtime: Path) -> subprocess.Popen:
    """A sound server whose default microphone hears what is played to its default speaker."""
    socket = runtime / "pulse-native"
    server = f"unix:{socket}"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)}
    daemon = subprocess.Popen(["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
                               f"--load=module-native-protocol-unix auth-anonymous=1 socket={socket}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    for _ in range(150):
        if subprocess.run(["pactl", "--server", server, "info"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    for args in (["load-module", "module-null-sink", "sink_name=speaker", "rate=48000", "channels=1"],
                 ["load-module", "module-virtual-source", "source_name=microphone", "master=speaker.monitor"],
                 ["set-default-sink", "speaker"], ["set-default-source", "microphone"]):
        subprocess.run(["pactl", "--server", server, *args], check=True, capture_output=True)
    os.environ["PULSE_SERVER"] = server
    return daemon


def play_into_microphone(footage: Path, stop: threading.Event) -> threading.Thread:
    def play() -> None:
        import sounddevice as sd

        from desktop_twin.capture.audio import read_audio

        sound = read_audio(footage, 48_000)
        while not stop.is_set():
            sd.play(sound, 48_000, device="pulse")
            stop.wait(len(sound) / 48_000)
        sd.stop()

    thread = threading.Thread(target=play, daemon=True)
    thread.start()
    return thread


def wait_until(app, condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        if _ERRORS:
            report = _ERRORS[0]
            raise SystemExit(f"{report.title} while waiting for {what}: {report.message}\n{report.details}")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def save(window, name: str) -> Path:
    """The window as PNG, with every picture of footage in it pixelated."""
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QWidget

    image = window.grab().toImage()
    painter = QPainter(image)
    for widget in window.findChildren(QWidget):
        if widget.property("showsFootage") and widget.isVisible():
            rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            part = image.copy(rect)
            small = part.scaled(max(1, rect.width() // PIXEL_BLOCK), max(1, rect.height() // PIXEL_BLOCK),
                                Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
            painter.drawImage(rect, small.scaled(rect.size(), Qt.AspectRatioMode.IgnoreAspectRatio,
                                                 Qt.TransformationMode.FastTransformation))
    painter.end()
    path = OUT / f"{name}.png"
    image.save(str(path), "PNG")
    print(f"wrote {path.relative_to(REPO)}")
    return path


def walk(footage: Path, stop_sound: threading.Event) -> threading.Thread:
    from PySide6.QtCore import QSettings

    from desktop_twin.capture.prompts import load_script
    from desktop_twin.store import create_project
    from desktop_twin.ui.app import create_app
    from desktop_twin.ui.context import AppContext
    from desktop_twin.ui.main_window import MainWindow
    from desktop_twin.ui.settings import AppSettings

    app = create_app()
    settings = AppSettings(QSettings(str(Path(os.environ["XDG_CONFIG_HOME"]) / "screens.ini"),
                                     QSettings.Format.IniFormat))
    script = load_script()
    script = script.model_copy(update={"consent": script.consent.model_copy(update={"seconds": 2.5})})
    context = AppContext.create(settings)
    context.errors.reported.connect(_ERRORS.append)
    window = MainWindow(context, script)
    window.resize(*WINDOW_SIZE)
    window.show()
    create_project(TWIN)
    window.library.refresh(select=TWIN)
    settle(app)
    save(window, "1-library")

    window.show_page("record")
    wait_until(app, lambda: context.devices.probed, 30, "the microphones")
    window.record.microphone.choose("pulse")
    window.record.camera.use_file(footage)
    window.record.set_take_seconds(3.0)
    window.record.consent_agree.setChecked(True)
    # The sound starts after the device scan: PortAudio restarts for a scan, which must not happen under a
    # stream that is playing.
    player = play_into_microphone(footage, stop_sound)
    prepared = []
    window.importer.imported.connect(prepared.append)
    window.record.start()
    wait_until(app, lambda: window.record.last_view is not None and window.record.last_view.phase == "take"
               and window.record.last_view.seconds > 2.0, 60, "the take")
    save(window, "2-record")
    wait_until(app, lambda: prepared == [TWIN], 300, "recording and preparing")
    stop_sound.set()
    player.join(10)
    window.record.add_video(footage)  # a few seconds more footage than the take: enough to train on
    wait_until(app, lambda: prepared == [TWIN, TWIN], 300, "adding a video")

    window.show_page("train")
    window.train.preset.setCurrentIndex(window.train.preset.findData("draft"))
    window.train.steps.setValue(4)
    if window.train.start() is None:
        raise SystemExit(f"training did not start: {window.train.status.text()}")
    wait_until(app, lambda: window.train.state == "idle" and window.train.outcome is not None, 600, "training")
    settle(app)
    save(window, "3-train")

    window.show_page("preview")
    window.preview.source.use_file(footage)
    window.preview.start()
    wait_until(app, lambda: window.preview.frames_shown > 40, 600, "the live preview")
    save(window, "4-preview")
    window.preview.stop()
    wait_until(app, lambda: window.preview.worker is None, 30, "the preview to stop")

    window.show_page("export")
    wait_until(app, lambda: window.export.report.scores is not None, 60, "the report card")
    settle(app)
    save(window, "5-export")
    window.show_page("library")
    settle(app, 1.5)
    save(window, "6-library-ready")
    window.close()
    context.shutdown()
    window.deleteLater()
    settle(app, 0.3)
    app.shutdown()  # the application's objects go now, in order, not while the interpreter exits
    return player


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footage", type=Path, default=DEFAULT_FOOTAGE, help="a video of one person talking")
    args = parser.parse_args()
    if not args.footage.is_file():
        raise SystemExit(f"{args.footage} not found: pass --footage VIDEO")
    OUT.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="desktop-twin-screens-"))
    xvfb, display = start_xvfb()
    pulse = start_pulseaudio(scratch)
    os.environ.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", DESKTOP_TWIN_HOME=str(scratch / "twins"),
                      XDG_CONFIG_HOME=str(scratch / "config"))
    stop_sound = threading.Event()
    try:
        walk(args.footage.resolve(), stop_sound)
    finally:
        stop_sound.set()
        for server in (pulse, xvfb):
            server.terminate()
            server.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
