"""The work behind `desktop-twin record`: devices, the guided session, the footage it adds."""

import sys
from pathlib import Path

from desktop_twin.capture.analysis import LandmarkSource
from desktop_twin.capture.cameras import list_cameras, open_camera
from desktop_twin.capture.consent import find_consent
from desktop_twin.capture.footage import import_take
from desktop_twin.capture.microphones import Microphone, find_microphone, list_microphones
from desktop_twin.capture.prompts import load_script
from desktop_twin.capture.session import GuidedSession, SessionResult, new_session_folder
from desktop_twin.capture.terminal_guide import JsonLinesGuide, TerminalGuide
from desktop_twin.cli.stopping import stop_cleanly_on_signals
from desktop_twin.errors import UserError
from desktop_twin.store import open_project


def record(name: str, camera_source: str, microphone: str | None, seconds: float | None, as_json: bool) -> int:
    """Record a guided session for the twin `name` and add it to its footage; 1 if nothing usable."""
    project = open_project(name)
    guide = JsonLinesGuide() if as_json else TerminalGuide()
    note = (lambda text: None) if as_json else print
    landmarks, problem = landmark_source()
    if problem:
        print(problem, file=sys.stderr)
    folder = new_session_folder(project.recordings_dir)
    with open_camera(camera_source) as camera:
        session = GuidedSession(folder, project.name, camera, Microphone(find_microphone(microphone)), load_script(),
                                seconds, landmarks, need_consent=find_consent(project.recordings_dir) is None)
        note(session.prepare())
        result = run_interruptible(session, guide)
    guide.finished(result)
    if result.video is None:
        return 1
    entry = import_take(project, Path(result.video))
    note(f"Added to {project.name}'s footage as {entry.file} ({entry.duration_seconds:.1f} s).")
    return 0


def run_interruptible(session: GuidedSession, on_event) -> SessionResult:
    """Run the session; Ctrl+C or SIGTERM stops it cleanly (what was recorded is kept and combined)."""
    with stop_cleanly_on_signals(session.cancel):
        return session.run(on_event)


def landmark_source() -> tuple[LandmarkSource | None, str]:
    """The face layer's tracker, or None and why there is none."""
    # The face layer sits below capture; only this entry point reaches for it, and a
    # session works without it (quality warnings only, no head or expression coverage).
    try:
        from desktop_twin.face.tracker import FaceTracker

        return FaceTracker(), ""
    except (ImportError, OSError, RuntimeError, UserError) as error:
        return None, f"Face tracking is unavailable ({error}): head and expression coverage are not measured."


def print_devices() -> None:
    print("Cameras:")
    for camera in list_cameras():
        print(f"  {camera.index}: {camera.name} ({camera.width}x{camera.height}, {camera.fps:g} fps measured)")
    print("Microphones:")
    for mic in list_microphones(rescan=True):
        default = "  (default)" if mic.is_default else ""
        print(f"  {mic.index}: {mic.name} [{mic.host_api}], {mic.default_sample_rate:g} Hz{default}")
