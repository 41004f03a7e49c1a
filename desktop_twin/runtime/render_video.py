"""A video of the twin driven by another video, every frame of it, with that video's audio.

Unlike the live preview nothing is dropped: each driver frame gives one twin frame, at the
driver's frame rate. The file appears only when complete; a failure or a cancel leaves
nothing behind.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.footage import iterate_frames, probe_video
from desktop_twin.errors import UserError
from desktop_twin.runtime.driven_twin import DrivenTwin, TwinFrame
from desktop_twin.runtime.mp4_writer import mp4_when_complete
from desktop_twin.runtime.twin_assets import TwinAssets
from desktop_twin.store.outputs import check_output_file


@dataclass(frozen=True)
class RenderProgress:
    frames_done: int
    frames_total: int


@dataclass(frozen=True)
class RenderResult:
    path: Path
    frames: int
    frames_with_face: int  # driver frames in which a face drove the twin
    fps: float
    width: int
    height: int
    has_audio: bool
    providers: dict[str, str]


def render_video(bundle, drive: Path, out: Path, side_by_side: bool = False, providers: list[str] | None = None,
                 progress: Callable[[RenderProgress], None] | None = None, cancel: threading.Event | None = None,
                 on_frame: Callable[[int, TwinFrame], None] | None = None) -> RenderResult:
    """Write `out` (MP4): the twin driven by `drive`, beside the driver with side_by_side.
    on_frame(index, twin_frame) sees each frame as it is made (for measurements)."""
    drive, out = Path(drive), Path(out)
    check_output(drive, out)
    info = probe_video(drive)
    assets = bundle if isinstance(bundle, TwinAssets) else TwinAssets.from_bundle(bundle)
    twin = DrivenTwin(assets, providers)
    height, width = output_size(assets.frame_rgb.shape, (info.height, info.width), side_by_side)
    with mp4_when_complete(out, info.fps, width, height, audio_source=drive) as writer:
        with_face = write_frames(twin, drive, info, writer, side_by_side, progress, cancel, on_frame)
    return RenderResult(out, writer.frames, with_face, info.fps, writer.width, writer.height, writer.has_audio,
                        twin.providers)


def write_frames(twin, drive, info, writer, side_by_side, progress, cancel, on_frame) -> int:
    """Drive the twin with every frame of the video into the writer; the count of frames with a face."""
    with_face = 0
    for index, frame in enumerate(iterate_frames(drive)):
        if cancel is not None and cancel.is_set():
            raise UserError("Rendering was cancelled; no video was written.")
        result = twin.process(frame, index / info.fps)
        with_face += result.face_found
        writer.write(beside(frame, result.twin_bgr) if side_by_side else result.twin_bgr)
        if on_frame is not None:
            on_frame(index, result)
        if progress is not None:
            progress(RenderProgress(index + 1, max(info.frames, index + 1)))
    return with_face


def check_output(source: Path, out: Path) -> None:
    """Before any work: the output must be a new or replaceable .mp4 file, not a folder, not the source."""
    check_output_file(out, ".mp4", "an MP4 video", source)


def output_size(twin_shape: tuple, driver_size: tuple[int, int], side_by_side: bool) -> tuple[int, int]:
    """(height, width) of the output frames: the twin's frame, with the driver beside it at its height."""
    height, width = twin_shape[:2]
    if side_by_side:
        width += scaled_width(driver_size, height)
    return height, width


def scaled_width(size: tuple[int, int], height: int) -> int:
    return max(1, round(size[1] * height / size[0]))


def beside(driver_bgr: np.ndarray, twin_bgr: np.ndarray) -> np.ndarray:
    """The driver (scaled to the twin's height) on the left, the twin on the right."""
    height = twin_bgr.shape[0]
    driver = cv2.resize(driver_bgr, (scaled_width(driver_bgr.shape[:2], height), height),
                        interpolation=cv2.INTER_AREA)
    return np.hstack([driver, twin_bgr])
