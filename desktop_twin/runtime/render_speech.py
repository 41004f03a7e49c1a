"""A video of the twin speaking an audio file (or the sound of a video), with that sound muxed in.

Every frame is made, at a steady frame rate: the sound's mouth motion for the whole file first
(a fraction of a second a minute), then blinks, head drift, sketch, renderer and composite frame
by frame. As with render_video, the file appears only when complete.
"""

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_twin.capture.audio import log_mel, speech_samples
from desktop_twin.errors import UserError
from desktop_twin.runtime.audio_drive import SpeakingTwin, file_offsets
from desktop_twin.runtime.mp4_writer import mp4_when_complete
from desktop_twin.runtime.render_video import RenderProgress, check_output
from desktop_twin.runtime.twin_assets import TwinAssets

DEFAULT_FPS = 25.0


@dataclass(frozen=True)
class SpeechRenderResult:
    path: Path
    frames: int
    fps: float
    width: int
    height: int
    seconds: float
    has_audio: bool
    providers: dict[str, str]


def render_speech(bundle, audio: Path, out: Path, fps: float = DEFAULT_FPS, providers: list[str] | None = None,
                  progress: Callable[[RenderProgress], None] | None = None, cancel: threading.Event | None = None,
                  on_frame: Callable[[int, object], None] | None = None, seed: int = 0) -> SpeechRenderResult:
    """Write `out` (MP4): the twin speaking `audio`, at `fps`, the sound muxed in."""
    audio, out = Path(audio), Path(out)
    check_output(audio, out)
    assets = bundle if isinstance(bundle, TwinAssets) else TwinAssets.from_bundle(bundle)
    twin = SpeakingTwin(assets, providers, seed)
    samples = speech_samples(audio)
    seconds = len(samples) / 16_000
    times = np.arange(max(1, math.ceil(seconds * fps))) / fps
    offsets = file_offsets(twin.mouth, log_mel(samples), times)
    height, width = assets.frame_rgb.shape[:2]
    with mp4_when_complete(out, fps, width, height, audio_source=audio) as writer:
        write_frames(twin, offsets, times, writer, progress, cancel, on_frame)
    return SpeechRenderResult(out, writer.frames, fps, writer.width, writer.height, round(seconds, 3),
                              writer.has_audio, twin.providers)


def write_frames(twin: SpeakingTwin, offsets, times, writer, progress, cancel, on_frame) -> None:
    for index, (frame_offsets, time_seconds) in enumerate(zip(offsets, times)):
        if cancel is not None and cancel.is_set():
            raise UserError("Rendering was cancelled; no video was written.")
        result = twin.frame(frame_offsets, float(time_seconds))
        writer.write(result.twin_bgr)
        if on_frame is not None:
            on_frame(index, result)
        if progress is not None:
            progress(RenderProgress(index + 1, len(times)))
