"""The live twin on a worker thread: runtime's LivePipeline, its frames handed to the page as
QImages, one at a time (a frame the page has not shown yet is not followed by another).

The live path's modules (ONNX, ONNX Runtime) are imported with the application, not when the
preview starts: importing them on the worker's thread would hold the interpreter's lock long
enough to stall the interface. They never import torch.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from desktop_twin.errors import UserError
from desktop_twin.ui.images import PREVIEW_WIDTH, bgr_image

try:
    from desktop_twin.export.bundle import read_twin
    from desktop_twin.runtime.pipeline import LivePipeline
except ImportError as missing:  # an installation without the live path: the page says so when asked
    read_twin = LivePipeline = None
    _MISSING = str(missing)

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class PreviewFrame:
    driver: QImage | None  # shrunk for display; None when a voice drives the twin
    twin: QImage  # shrunk for display
    twin_bgr: np.ndarray  # full size: a snapshot saves it
    fps: float
    latency_ms: float  # the median time to make one twin frame from the driver's; from the sound, spoken
    providers: dict[str, str]
    face_found: bool
    calibrated: bool
    frames: int
    dropped_frames: int


class PreviewControl:
    """Shared by the page and the job: the running pipeline and whether the page wants a frame."""

    def __init__(self):
        self.pipeline = None
        self.frame_wanted = threading.Event()
        self.frame_wanted.set()

    def recalibrate(self) -> None:
        if self.pipeline is not None:
            self.pipeline.recalibrate()


def run_preview(twin_file: Path, source: str, control: PreviewControl, emit, cancel: threading.Event) -> str:
    if LivePipeline is None:
        raise UserError(f"This installation of Desktop Twin cannot run twins live ({_MISSING}).")

    def on_frame(live) -> None:  # on the pipeline's inference thread
        if not control.frame_wanted.is_set():
            return  # the page is still showing the last one: this one is dropped
        control.frame_wanted.clear()
        stats = live.stats
        emit(PreviewFrame(bgr_image(live.driver_bgr, PREVIEW_WIDTH), bgr_image(live.twin_bgr, PREVIEW_WIDTH),
                          live.twin_bgr, stats.fps,
                          stats.stage_ms.get("total", 0.0), dict(stats.providers), stats.face_found,
                          stats.calibrated, stats.frames, stats.dropped_frames))

    pipeline = LivePipeline(read_twin(Path(twin_file)), source, on_frame=on_frame)
    control.pipeline = pipeline
    try:
        run_until_cancelled(pipeline, cancel)
    finally:
        control.pipeline = None
    return "Stopped." if cancel.is_set() else "The driving video has ended."


def run_speech_preview(twin_file: Path, microphone: str, control: PreviewControl, emit,
                       cancel: threading.Event, sound_file: Path | None = None) -> str:
    """The twin speaking what the microphone hears (runtime's LiveSpeech), until cancelled; or
    speaking sound_file, played aloud, to its end."""
    if read_twin is None:
        raise UserError(f"This installation of Desktop Twin cannot run twins live ({_MISSING}).")
    from desktop_twin.runtime.live_speech import LiveSpeech  # starts PortAudio: only when asked to listen

    def on_frame(frame) -> None:  # on the speech thread
        if not control.frame_wanted.is_set():
            return
        control.frame_wanted.clear()
        emit(PreviewFrame(None, bgr_image(frame.twin_bgr, PREVIEW_WIDTH), frame.twin_bgr, frame.fps,
                          frame.latency_ms, speech.twin.providers, True, True, frame.frames, frame.skipped))

    speech = LiveSpeech(read_twin(Path(twin_file)), microphone or None, on_frame=on_frame, sound_file=sound_file)
    run_until_cancelled(speech, cancel)
    return "Stopped." if cancel.is_set() or sound_file is None else f"{Path(sound_file).name} has been spoken."


def run_until_cancelled(live, cancel: threading.Event) -> None:
    """Start a LivePipeline or a LiveSpeech, let it run until cancelled or finished, stop it, raise its error."""
    live.start()
    try:
        while not cancel.wait(POLL_SECONDS) and not live.finished.is_set():
            pass
    finally:
        live.stop()
    if live.error is not None:
        raise live.error
