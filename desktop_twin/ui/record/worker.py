"""The guided recording job on a worker thread: capture's GuidedSession, its events turned into
what the page shows (a small picture with the face mesh, the prompt, levels, coverage,
warnings), and the take added to the twin's footage when it ends."""

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QImage

from desktop_twin.errors import UserError
from desktop_twin.store import open_project
from desktop_twin.ui.images import with_landmarks


@dataclass(frozen=True)
class RecordView:
    phase: str  # "consent", "take" or "combining"
    image: QImage | None
    instruction: str
    text: str  # the sentence to read, if any
    prompt_changed: bool
    seconds: float
    fraction: float  # of this phase, 0..1
    level_dbfs: float
    warnings: tuple[str, ...]
    coverage: dict[str, float] | None  # each need met, 0..1; None until the take's first analysis
    coverage_score: float | None
    audio_overflows: int


@dataclass(frozen=True)
class RecordOutcome:
    message: str
    footage_file: str
    seconds: float
    consent_recorded: bool


@dataclass(frozen=True)
class RecordRequest:
    twin: str
    camera: str  # index or video file
    microphone: str  # name; "" for the system's default
    script: object  # capture.prompts.GuidedScript
    seconds: float | None  # None: the whole script


def landmark_source():
    """The face layer's tracker; None (only quality warnings, no coverage of pose) when it cannot load."""
    try:
        from desktop_twin.face.tracker import FaceTracker

        return FaceTracker()
    except (ImportError, OSError, RuntimeError, UserError):
        return None


def record(request: RecordRequest, emit, cancel: threading.Event) -> RecordOutcome:
    from desktop_twin.capture.cameras import open_camera
    from desktop_twin.capture.consent import find_consent
    from desktop_twin.capture.footage import import_take
    from desktop_twin.capture.microphones import Microphone, find_microphone
    from desktop_twin.capture.session import GuidedSession, new_session_folder

    project = open_project(request.twin)
    folder = new_session_folder(project.recordings_dir)
    need_consent = find_consent(project.recordings_dir) is None
    microphone = Microphone(find_microphone(request.microphone or None))
    with open_camera(request.camera) as camera:
        session = GuidedSession(folder, project.name, camera, microphone, request.script, request.seconds,
                                landmark_source(), need_consent=need_consent)
        session.prepare()
        if cancel.is_set():  # Stop pressed while the devices opened
            session.cancel()

        def on_event(event) -> None:
            if cancel.is_set():
                session.cancel()
            emit(view_of(event))

        result = session.run(on_event)
    if result.video is None:
        raise UserError(result.message or "Nothing usable was recorded.")
    entry = import_take(project, Path(result.video))
    return RecordOutcome(result.message, entry.file, entry.duration_seconds, result.consent is not None)


def view_of(event) -> RecordView:
    progress, report, prompt = event.progress, event.report, event.prompt
    image = None
    if progress is not None:
        landmarks = report.landmarks if report is not None else None
        image = with_landmarks(progress.frame.image, landmarks)
    coverage = report.coverage if report is not None and event.phase == "take" else None
    return RecordView(
        phase=event.phase,
        image=image,
        instruction=prompt.instruction if prompt else "",
        text=prompt.text if prompt else "",
        prompt_changed=event.prompt_changed,
        seconds=progress.seconds if progress else 0.0,
        fraction=event.fraction,
        level_dbfs=progress.level_dbfs if progress else float("-inf"),
        warnings=tuple(w.message for w in report.warnings) if report else (),
        coverage=dict(coverage.parts) if coverage else None,
        coverage_score=coverage.score if coverage else None,
        audio_overflows=progress.audio_overflows if progress else 0,
    )
