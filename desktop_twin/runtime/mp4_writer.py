"""An MP4 that common players open (H.264 in yuv420p, AAC), with another video's audio carried over.

The audio is decoded from the source as the video is written and muxed up to each frame's
time, so the two tracks interleave (players seek well) and no long audio is held in memory.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from desktop_twin.capture.audio import has_audio_track
from desktop_twin.capture.combine import AUDIO_BIT_RATE, VIDEO_CODEC_OPTIONS
from desktop_twin.errors import WRITING_ERRNOS, UserError, write_failure



class AudioCarrier:
    """The first audio track of a file, re-encoded to AAC into an output container, a stretch at a time."""

    def __init__(self, source: Path, container: av.container.OutputContainer):
        self._input = av.open(str(source))
        stream = self._input.streams.audio[0]
        self.layout = "mono" if stream.channels == 1 else "stereo"
        self._resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=stream.rate)
        self._decoded = self._input.decode(stream)
        self.stream = container.add_stream("aac", rate=stream.rate)
        self.stream.layout = self.layout
        self.stream.bit_rate = AUDIO_BIT_RATE
        self._container = container
        self._pending = np.zeros((1 if self.layout == "mono" else 2, 0), np.float32)  # decoded, not yet muxed
        self._exhausted = False
        self.samples_written = 0

    def carry_until(self, seconds: float) -> None:
        """Mux the audio from where it stopped up to `seconds`."""
        wanted = round(seconds * self.stream.rate) - self.samples_written
        while self._pending.shape[1] < wanted and not self._exhausted:
            self._decode_more()
        if wanted > 0:
            self._mux(self._pending[:, :wanted])
            self._pending = self._pending[:, wanted:]

    def finish(self, seconds: float) -> None:
        """Carry the audio up to the end of the video (no further), flush the encoder, close the source."""
        self.carry_until(seconds)
        self._container.mux(self.stream.encode(None))
        self._input.close()

    def _decode_more(self) -> None:
        try:
            frames = self._resampler.resample(next(self._decoded))
        except (StopIteration, av.FFmpegError):  # the end, or a truncated file: keep what decoded
            self._exhausted = True
            frames = self._resampler.resample(None)
        if frames:
            self._pending = np.concatenate([self._pending, *(f.to_ndarray() for f in frames)], axis=1)

    def _mux(self, planes: np.ndarray) -> None:
        if not planes.shape[1]:
            return
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planes), format="fltp", layout=self.layout)
        frame.sample_rate = self.stream.rate
        frame.pts = self.samples_written
        frame.time_base = Fraction(1, self.stream.rate)
        self._container.mux(self.stream.encode(frame))
        self.samples_written += planes.shape[1]


class Mp4Writer:
    """Frames in BGR, written at a constant rate; audio from `audio_source` when it has a track."""

    def __init__(self, path: Path, fps: float, width: int, height: int, audio_source: Path | None = None):
        self.fps = fps
        self._container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self._video = self._container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self.width, self.height = even(width), even(height)
        self._video.width, self._video.height = self.width, self.height
        self._video.pix_fmt = "yuv420p"
        self._video.options = dict(VIDEO_CODEC_OPTIONS)
        carries_audio = audio_source is not None and has_audio_track(audio_source)
        self._audio = AudioCarrier(audio_source, self._container) if carries_audio else None
        self.frames = 0

    @property
    def has_audio(self) -> bool:
        return self._audio is not None

    def write(self, image_bgr: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_bgr[: self.height, : self.width]),
                                           format="bgr24")
        frame.pts = self.frames
        self._container.mux(self._video.encode(frame))
        self.frames += 1
        if self._audio is not None:
            self._audio.carry_until(self.frames / self.fps)

    def close(self) -> None:
        """Flush the encoders and finish the file; the audio ends with the video."""
        self._container.mux(self._video.encode(None))
        if self._audio is not None:
            self._audio.finish(self.frames / self.fps)
        self._container.close()

    def abandon(self) -> None:
        """Close without finishing (after a failure or a cancel): the caller deletes the file."""
        self._container.close()


@contextmanager
def mp4_when_complete(out: Path, fps: float, width: int, height: int,
                      audio_source: Path | None = None) -> Iterator[Mp4Writer]:
    """A writer into a hidden file beside `out`, renamed to `out` only when the block ends well: a
    failure or a cancel leaves no half-written video (and replaces no earlier one)."""
    partial = out.with_name(f".{out.stem}.partial.mp4")
    try:
        try:
            writer = Mp4Writer(partial, fps, width, height, audio_source=audio_source)
        except OSError as error:  # the folder refuses a new file
            raise _cannot_write(out, error) from None
        try:
            yield writer
            writer.close()
        except BaseException:
            writer.abandon()
            raise
        os.replace(partial, out)
    except OSError as error:
        if error.errno not in WRITING_ERRNOS:
            raise
        raise _cannot_write(out, error) from None
    finally:
        partial.unlink(missing_ok=True)


def _cannot_write(out: Path, error: OSError) -> UserError:
    return UserError(f"Cannot write {out}: {write_failure(error)}")


def even(value: int) -> int:
    """H.264 in 4:2:0 needs even sides: an odd one loses its last row or column."""
    return value // 2 * 2
