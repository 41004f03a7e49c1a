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
    driver: QImage  # shrunk for display
    twin: QImage  # shrunk for display
    twin_bgr: np.ndarray  # full size: a snapshot saves it
    fps: float
    latency_ms: float  # the median time to make one twin frame, from the driver frame
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
    pipeline.start()
    try:
        while not cancel.wait(POLL_SECONDS) and not pipeline.finished.is_set():
            pass
    finally:
        pipeline.stop()
        control.pipeline = None
    if pipeline.error is not None:
        raise pipeline.error
    return "Stopped." if cancel.is_set() else "The driving video has ended."
