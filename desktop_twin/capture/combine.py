"""Turn a recording folder into one ordinary video file (H.264 + AAC in MP4) with the tracks in sync.

The output has a constant frame rate: output frame k shows the recorded frame captured
nearest to first_frame_time + k / fps, and the audio starts at the sample captured at
first_frame_time. So both tracks are placed by capture time on the one monotonic clock,
and any player, OpenCV and the rest of the app read the result like any other footage.
"""

import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from desktop_twin.capture.recording_format import VIDEO_FILE
from desktop_twin.capture.recording_reader import Recording, open_recording
from desktop_twin.errors import UserError

COMBINED_FILE = "recording.mp4"
VIDEO_CODEC_OPTIONS = {"crf": "18", "preset": "veryfast"}  # visually lossless, fast enough on a laptop
AUDIO_BIT_RATE = 160_000
MIN_FRAMES_TO_MEASURE_FPS = 10
FPS_TOLERANCE = 0.15


def is_kept_take(path: Path) -> bool:
    """A recording's folder of tracks (a take left by a full disk or a crash), which import can combine."""
    return Path(path).is_dir() and (Path(path) / VIDEO_FILE).is_file()


def combine_recording(
    folder: Path, output: Path | None = None, on_progress: Callable[[float], None] | None = None
) -> Path:
    """Write folder/recording.mp4 (or output); a crash mid-way leaves no half-written file."""
    recording = open_recording(folder)
    if not len(recording.video):
        raise UserError(f"The recording in {folder} holds no video frames; there is nothing to keep.")
    output = Path(output or Path(folder) / COMBINED_FILE)
    partial = output.with_name(f".{output.stem}.partial{output.suffix}")
    try:
        _encode(recording, partial, on_progress or (lambda fraction: None))
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def output_frame_sources(frame_times: np.ndarray, fps: float) -> np.ndarray:
    """For each output frame at a constant rate, the index of the recorded frame nearest in time."""
    count = int(round((frame_times[-1] - frame_times[0]) * fps)) + 1
    wanted = frame_times[0] + np.arange(count) / fps
    after = np.clip(np.searchsorted(frame_times, wanted), 1, len(frame_times) - 1)
    before = after - 1
    nearer_before = np.abs(frame_times[before] - wanted) <= np.abs(frame_times[after] - wanted)
    return np.where(nearer_before, before, after) if len(frame_times) > 1 else np.zeros(count, int)


def aligned_audio(recording: Recording, start_time: float, seconds: float) -> np.ndarray | None:
    """The audio from start_time on for seconds, padded with silence where nothing was captured."""
    audio = recording.audio
    if audio.clock is None or not len(audio.samples):
        return None
    first = int(round(audio.clock.sample_at(start_time)))
    count = int(round(seconds * audio.sample_rate))
    aligned = np.zeros(count, np.int16)
    source_begin, source_end = max(first, 0), min(first + count, len(audio.samples))
    if source_end > source_begin:
        aligned[source_begin - first:source_end - first] = audio.samples[source_begin:source_end]
    return aligned


def output_fps(frame_times: np.ndarray, claimed_fps: float) -> float:
    """The camera's claimed rate, unless it really delivered at another (webcams halve their
    rate in dim light): then the measured one, so frames are neither doubled nor dropped."""
    if len(frame_times) < MIN_FRAMES_TO_MEASURE_FPS:
        return claimed_fps
    measured = 1.0 / float(np.median(np.diff(frame_times)))
    return claimed_fps if abs(measured / claimed_fps - 1.0) <= FPS_TOLERANCE else round(measured, 2)


def _encode(recording: Recording, path: Path, on_progress: Callable[[float], None]) -> None:
    fps = output_fps(recording.video.times, recording.metadata.fps)
    sources = output_frame_sources(recording.video.times, fps)
    audio = aligned_audio(recording, recording.video.times[0], len(sources) / fps)
    height, width = next(recording.video.frames()).shape[:2]
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video_stream = _add_video_stream(container, fps, width, height)
        audio_stream = _add_audio_stream(container, recording.audio.sample_rate) if audio is not None else None
        audio_written = 0
        for k, image in enumerate(_frames_in_order(recording, sources)):
            frame = av.VideoFrame.from_ndarray(_even_size(image), format="bgr24")
            frame.pts = k
            container.mux(video_stream.encode(frame))
            if audio_stream is not None:  # interleave: audio up to the end of this frame
                until = min(len(audio), int(round((k + 1) / fps * audio_stream.rate)))
                _mux_audio(container, audio_stream, audio[audio_written:until], audio_written)
                audio_written = until
            if k % 25 == 0:
                on_progress(k / len(sources))
        container.mux(video_stream.encode(None))
        if audio_stream is not None:
            _mux_audio(container, audio_stream, audio[audio_written:], audio_written)
            container.mux(audio_stream.encode(None))
    on_progress(1.0)


def _add_video_stream(container, fps: float, width: int, height: int):
    stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
    stream.width, stream.height = width // 2 * 2, height // 2 * 2
    stream.pix_fmt = "yuv420p"
    stream.options = dict(VIDEO_CODEC_OPTIONS)
    return stream


def _add_audio_stream(container, sample_rate: int):
    stream = container.add_stream("aac", rate=sample_rate)
    stream.layout = "mono"
    stream.bit_rate = AUDIO_BIT_RATE
    return stream


def _mux_audio(container, stream, samples: np.ndarray, first_sample: int) -> None:
    if not len(samples):
        return
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = stream.rate
    frame.pts = first_sample
    frame.time_base = Fraction(1, stream.rate)
    container.mux(stream.encode(frame))


def _frames_in_order(recording: Recording, sources: np.ndarray):
    """Decoded recorded frames in output order; a repeated source is decoded once."""
    decoded = recording.video.frames()
    current_index, current = -1, None
    for source in sources:
        while current_index < source:
            current = next(decoded)
            current_index += 1
        yield current


def _even_size(image: np.ndarray) -> np.ndarray:
    # H.264 in 4:2:0 needs even sides; a camera with an odd size loses one row or column.
    return image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]
