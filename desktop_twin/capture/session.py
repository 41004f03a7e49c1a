"""The guided recording session: consent on camera, then a prompted take, then one video file.

A session folder holds consent/ (the consent take, its clip and record), take/ (the
guided take's tracks) and FOLDER_NAME.mp4 (the take combined, ready to import as footage).
The GUI and the command line run this same job and show its events.
"""

import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av

from desktop_twin.capture.analysis import BackgroundAnalysis, LandmarkSource, LiveAnalyzer, LiveReport
from desktop_twin.capture.cameras import Camera
from desktop_twin.capture.combine import combine_recording
from desktop_twin.capture.consent import CONSENT_FOLDER, ConsentRecord, seal_consent
from desktop_twin.capture.microphones import Microphone
from desktop_twin.capture.prompts import GuidedScript, Prompt
from desktop_twin.capture.recorder import RecordingJob, RecordingProgress, RecordingResult
from desktop_twin.errors import command

TAKE_FOLDER = "take"
SPEECH_GRACE_SECONDS = 3.0  # into a reading prompt before "no speech heard" may show
SESSION_NAME_FORMAT = "%Y%m%d-%H%M%S"  # a session folder is named for when it began
MIN_TAKE_SECONDS = 1.0  # a take stopped before this is a Stop pressed at the start, not footage


@dataclass(frozen=True)
class SessionEvent:
    phase: str  # "consent", "take" or "combining"
    prompt: Prompt | None
    prompt_changed: bool
    progress: RecordingProgress | None  # None while combining
    report: LiveReport | None  # newest analysis, None until the first
    fraction: float  # of this phase done, 0..1 (0 when the take has no set length)


def new_session_folder(recordings_dir: Path) -> Path:
    return Path(recordings_dir) / datetime.now().strftime(SESSION_NAME_FORMAT)


def take_video_path(take_folder: Path) -> Path:
    """Where a session's take goes as one video file: in the session folder, named after it, the
    name the twin's footage knows it by."""
    session = Path(take_folder).parent
    return session / f"{session.name}.mp4"


@dataclass(frozen=True)
class SessionResult:
    folder: Path
    consent: ConsentRecord | None
    take: RecordingResult | None
    video: Path | None  # the combined take; None when nothing usable was recorded
    message: str


class GuidedSession:
    def __init__(self, folder: Path, name: str, camera: Camera, microphone: Microphone, script: GuidedScript,
                 seconds: float | None = None, landmarks: LandmarkSource | None = None, need_consent: bool = True):
        self.folder = Path(folder)
        self.name = name
        self.camera = camera
        self.microphone = microphone
        self.script = script
        self.seconds = seconds if seconds is not None else script.seconds
        self.landmarks = landmarks
        self.need_consent = need_consent
        self._cancel = threading.Event()
        self._job: RecordingJob | None = None

    def prepare(self) -> str:
        """Check that recording can start (raises UserError); describe what will happen."""
        summary = RecordingJob(self.camera, self.microphone, self.folder / TAKE_FOLDER, self.seconds).prepare()
        consent = "First, a consent statement read on camera. " if self.need_consent else ""
        return consent + summary

    def cancel(self) -> None:
        self._cancel.set()
        if self._job is not None:
            self._job.cancel()

    def run(self, on_event: Callable[[SessionEvent], None] | None = None) -> SessionResult:
        emit = on_event or (lambda event: None)
        consent = None
        if self.need_consent:
            consent_take = self._record_consent(emit)
            if self._cancel.is_set() or consent_take.stopped_early or not consent_take.frames:
                # A statement not read to its end is no consent: nothing of it is kept.
                shutil.rmtree(consent_take.folder, ignore_errors=True)
                return SessionResult(self.folder, None, None, None, _not_consented(consent_take, self._cancel))
            try:
                consent = seal_consent(self.folder / CONSENT_FOLDER, self.name, self.consent_prompt().text)
            except (OSError, av.FFmpegError) as error:
                return SessionResult(self.folder, None, None, None, f"The consent clip could not be saved ({error}). "
                                     "Free some disk space and record again.")
        take = self._record_take(emit)
        if self._cancel.is_set() and take.seconds < MIN_TAKE_SECONDS:  # Stop pressed as it started
            shutil.rmtree(take.folder, ignore_errors=True)
            return SessionResult(self.folder, consent, take, None,
                                 "Stopped before a second was recorded; nothing was added to the footage.")
        video, message = self._combine(take, emit)
        return SessionResult(self.folder, consent, take, video, message)

    def consent_prompt(self) -> Prompt:
        consent = self.script.consent
        return Prompt(kind="read", instruction=consent.instruction, text=self.script.consent_statement(self.name),
                      seconds=consent.seconds)

    def _record_consent(self, emit) -> RecordingResult:
        prompt = self.consent_prompt()
        return self._record("consent", self.folder / CONSENT_FOLDER, prompt.seconds, lambda elapsed: (0, prompt), emit)

    def _record_take(self, emit) -> RecordingResult:
        return self._record("take", self.folder / TAKE_FOLDER, self.seconds, self.script.prompt_at, emit)

    def _record(self, phase: str, folder: Path, seconds: float, prompt_at, emit) -> RecordingResult:
        analysis = BackgroundAnalysis(LiveAnalyzer(self.microphone.sample_rate, self.landmarks))
        prompts = _PromptClock(prompt_at)

        def on_progress(progress: RecordingProgress) -> None:
            prompt, changed, showing_for = prompts.at(progress.seconds)
            analysis.analyzer.expect_speech = prompt.expects_speech and showing_for >= SPEECH_GRACE_SECONDS
            analysis.submit(progress.frame.image, progress.frame.time, progress.audio.samples)
            fraction = min(progress.seconds / seconds, 1.0) if seconds else 0.0
            emit(SessionEvent(phase, prompt, changed, progress, analysis.latest(), fraction))

        self._job = RecordingJob(self.camera, self.microphone, folder, seconds)
        if self._cancel.is_set():  # cancelled between takes
            self._job.cancel()
        analysis.start()
        try:
            return self._job.run(on_progress)
        finally:
            analysis.stop()
            self._job = None

    def _combine(self, take: RecordingResult, emit) -> tuple[Path | None, str]:
        if not take.frames:
            return None, take.message or "Nothing was recorded."
        try:
            video = combine_recording(
                take.folder, take_video_path(take.folder),
                on_progress=lambda fraction: emit(SessionEvent("combining", None, False, None, None, fraction)),
            )
        except (OSError, av.FFmpegError) as error:
            return None, (f"{take.message} The take could not be turned into a video ({error}); its tracks are "
                          f"kept in {take.folder}. Free some disk space, then add them to the twin with: "
                          f"{command('import', self.name, str(take.folder))}").strip()
        return video, take.message


class _PromptClock:
    """Which prompt shows at a time into the take, whether it just came up, and since when."""

    def __init__(self, prompt_at: Callable[[float], tuple[int, Prompt]]):
        self._prompt_at = prompt_at
        self._index: int | None = None
        self._since = 0.0

    def at(self, seconds: float) -> tuple[Prompt, bool, float]:
        index, prompt = self._prompt_at(seconds)
        changed = index != self._index
        if changed:
            self._index, self._since = index, seconds
        return prompt, changed, seconds - self._since


def _not_consented(take: RecordingResult, cancel: threading.Event) -> str:
    if cancel.is_set():
        return "Stopped before the consent statement was recorded; nothing else was recorded."
    reason = (take.cause or take.message).rstrip(".") or "it ended early"
    return f"The consent statement was not recorded completely: {reason}. Nothing of it was kept; record it again."
