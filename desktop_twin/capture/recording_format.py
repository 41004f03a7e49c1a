"""The recording folder: append-only tracks that survive the process being killed at any moment.

Layout of a recording folder:
    recording.json    what was recorded with what (written atomically at start and at stop)
    video.mjpeg       JPEG frames back to back (a Motion-JPEG stream)
    video_frames.csv  per frame: index, capture time, byte offset, byte size
    audio.pcm         signed 16-bit little-endian mono samples
    audio_blocks.csv  per audio block: first sample, frames, callback time, capture age

Why this and not a container: MP4 and AVI write their index when the file is closed, so a
killed process leaves a file no player opens. Here every frame is self-contained and its
index line is written after it, so any prefix of the files is a valid recording: a reader
takes the frames whose index line is complete and the whole samples of the audio file.
Writes go straight to the kernel (unbuffered) as each frame arrives, with the audio drained
from the ring buffer after every frame, so a killed process loses about one frame period;
an fsync every second bounds the loss on power failure to a second.
All times are time.monotonic() seconds, one clock for both tracks.
"""

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.errors import DiskFullError
from desktop_twin.capture.ring_buffer import AudioChunk
from desktop_twin.errors import DISK_FULL_ERRNOS
from desktop_twin.store.atomic import atomic_write_json
from desktop_twin.store.manifest import utc_now

FORMAT_VERSION = 1
METADATA_FILE = "recording.json"
VIDEO_FILE = "video.mjpeg"
VIDEO_INDEX_FILE = "video_frames.csv"
AUDIO_FILE = "audio.pcm"
AUDIO_INDEX_FILE = "audio_blocks.csv"
JPEG_QUALITY = 90
SYNC_INTERVAL_SECONDS = 1.0


@dataclass
class RecordingMetadata:
    camera: str
    fps: float
    width: int
    height: int
    microphone: str
    sample_rate: int
    channels: int = 1
    sample_format: str = "s16le"
    format_version: int = FORMAT_VERSION
    started: str = field(default_factory=lambda: utc_now().isoformat())
    status: str = "recording"  # then "finished" or "stopped"
    stop_reason: str = ""
    frames: int = 0
    audio_seconds: float = 0.0
    audio_overflows: int = 0
    dropped_frames: int = 0


def write_metadata(folder: Path, metadata: RecordingMetadata) -> None:
    atomic_write_json(Path(folder) / METADATA_FILE, asdict(metadata))


def read_metadata(folder: Path) -> RecordingMetadata:
    raw = json.loads((Path(folder) / METADATA_FILE).read_text(encoding="utf-8"))
    return RecordingMetadata(**raw)


class AppendOnlyFile:
    """Unbuffered appends (a killed process loses nothing written) with an fsync every second."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = open(self.path, "ab", buffering=0)
        self.size = self._file.tell()
        self._last_sync = time.monotonic()

    def append(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = self._file.write(view)
                self.size += written
                view = view[written:]
        except OSError as error:
            if error.errno in DISK_FULL_ERRNOS:
                raise DiskFullError(
                    f"The disk holding {self.path.parent} is full: the recording stopped."
                ) from None
            raise

    def sync_if_due(self, now: float) -> None:
        if now - self._last_sync >= SYNC_INTERVAL_SECONDS:
            self.sync()

    def sync(self) -> None:
        try:
            os.fsync(self._file.fileno())
        except OSError:
            pass  # best effort: the data already reached the kernel
        self._last_sync = time.monotonic()

    def close(self) -> None:
        self.sync()
        self._file.close()


def take_seconds(first_time: float, last_time: float, fps: float) -> float:
    """A take's length: from its first frame's capture time to its last, plus one frame's length;
    by capture times, not by frames at the camera's claimed rate (webcams halve theirs in dim light)."""
    return float(last_time - first_time) + 1.0 / fps


class VideoTrackWriter:
    """Appends each frame as a JPEG, then its index line, so a frame counts only once whole."""

    def __init__(self, folder: Path):
        self._frames = AppendOnlyFile(Path(folder) / VIDEO_FILE)
        self._index = AppendOnlyFile(Path(folder) / VIDEO_INDEX_FILE)
        self.frames_written = 0
        self.first_time: float | None = None  # capture times of the first and last frames written
        self.last_time: float | None = None

    def seconds(self, fps: float) -> float:
        return take_seconds(self.first_time, self.last_time, fps) if self.frames_written else 0.0

    def write(self, image: np.ndarray, capture_time: float) -> None:
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise ValueError("JPEG encoding failed")  # only for images OpenCV cannot encode at all
        offset = self._frames.size
        self._frames.append(jpeg.tobytes())
        self._index.append(f"{self.frames_written},{capture_time:.6f},{offset},{len(jpeg)}\n".encode())
        self.frames_written += 1
        self.first_time = capture_time if self.first_time is None else self.first_time
        self.last_time = capture_time
        self._frames.sync_if_due(capture_time)
        self._index.sync_if_due(capture_time)

    def close(self) -> None:
        self._frames.close()
        self._index.close()


class AudioTrackWriter:
    """Appends drained audio and the timing of its blocks; gaps from dropped blocks are silence."""

    def __init__(self, folder: Path):
        self._samples = AppendOnlyFile(Path(folder) / AUDIO_FILE)
        self._index = AppendOnlyFile(Path(folder) / AUDIO_INDEX_FILE)
        self.samples_written = 0

    def write(self, chunk: AudioChunk) -> None:
        if not len(chunk.samples):
            return
        self._samples.append(chunk.samples.astype("<i2", copy=False).tobytes())
        self.samples_written += len(chunk.samples)
        lines = "".join(f"{int(f)},{int(n)},{t:.6f},{age:.6f}\n" for f, n, t, age in chunk.blocks)
        self._index.append(lines.encode())
        now = time.monotonic()
        self._samples.sync_if_due(now)
        self._index.sync_if_due(now)

    def close(self) -> None:
        self._samples.close()
        self._index.close()
