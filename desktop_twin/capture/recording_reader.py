"""Read a recording folder back, complete or cut short by a crash, and place both tracks on one clock."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.recording_format import (
    AUDIO_FILE,
    AUDIO_INDEX_FILE,
    METADATA_FILE,
    VIDEO_FILE,
    VIDEO_INDEX_FILE,
    RecordingMetadata,
    read_metadata,
    take_seconds,
)
from desktop_twin.errors import UserError

MIN_SECONDS_FOR_DRIFT_FIT = 5.0  # shorter recordings use the nominal sample rate
MAX_RATE_DEVIATION = 0.005  # a fitted rate further off than this is jitter, not drift
MAX_PLAUSIBLE_CAPTURE_AGE = 0.5  # seconds; larger reported input latencies are driver noise


@dataclass(frozen=True)
class RecordedVideo:
    path: Path
    times: np.ndarray  # capture time per frame, monotonic seconds
    offsets: np.ndarray
    sizes: np.ndarray

    def __len__(self) -> int:
        return len(self.times)

    def frames(self) -> Iterator[np.ndarray]:
        with open(self.path, "rb") as f:
            for offset, size in zip(self.offsets, self.sizes):
                f.seek(int(offset))
                yield cv2.imdecode(np.frombuffer(f.read(int(size)), np.uint8), cv2.IMREAD_COLOR)


@dataclass(frozen=True)
class AudioClock:
    """Capture time of audio samples: time = start + index * seconds_per_sample."""

    start: float
    seconds_per_sample: float

    def time_of(self, sample_index: float) -> float:
        return self.start + sample_index * self.seconds_per_sample

    def sample_at(self, time: float) -> float:
        return (time - self.start) / self.seconds_per_sample


@dataclass(frozen=True)
class RecordedAudio:
    samples: np.ndarray  # int16 mono
    sample_rate: int
    clock: AudioClock | None  # None when no block timing survived

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class Recording:
    folder: Path
    metadata: RecordingMetadata
    video: RecordedVideo
    audio: RecordedAudio

    @property
    def seconds(self) -> float:
        return _seconds(self.video, self.metadata.fps)


def open_recording(folder: Path) -> Recording:
    folder = Path(folder)
    metadata = _metadata(folder)
    return Recording(folder, metadata, _read_video(folder), _read_audio(folder, metadata.sample_rate))


def recorded_seconds(folder: Path) -> float:
    """A recording's length, as Recording.seconds, from its video index alone: its sound, megabytes
    in a long take, is not read."""
    return _seconds(_read_video(Path(folder)), _metadata(Path(folder)).fps)


def _seconds(video: RecordedVideo, fps: float) -> float:
    return take_seconds(video.times[0], video.times[-1], fps) if len(video) else 0.0


def _metadata(folder: Path) -> RecordingMetadata:
    if not (folder / METADATA_FILE).is_file():
        raise UserError(f"{folder} is not a recording (it has no {METADATA_FILE}).")
    return read_metadata(folder)


def _read_video(folder: Path) -> RecordedVideo:
    rows = _complete_rows(folder / VIDEO_INDEX_FILE, columns=4)
    data_size = _size(folder / VIDEO_FILE)
    rows = rows[rows[:, 2] + rows[:, 3] <= data_size] if len(rows) else rows
    return RecordedVideo(
        folder / VIDEO_FILE, rows[:, 1], rows[:, 2].astype(np.int64), rows[:, 3].astype(np.int64)
    )


def _read_audio(folder: Path, sample_rate: int) -> RecordedAudio:
    raw = (folder / AUDIO_FILE).read_bytes() if (folder / AUDIO_FILE).exists() else b""
    samples = np.frombuffer(raw[: len(raw) // 2 * 2], "<i2")
    blocks = _complete_rows(folder / AUDIO_INDEX_FILE, columns=4)
    blocks = blocks[blocks[:, 0] < len(samples)] if len(blocks) else blocks
    return RecordedAudio(samples, sample_rate, fit_audio_clock(blocks, sample_rate))


def fit_audio_clock(blocks: np.ndarray, sample_rate: int) -> AudioClock | None:
    """When each sample was captured, from the blocks' callback times and capture ages.

    The rate comes from when blocks arrived (steady, but late by the input latency); the
    offset from PortAudio's capture ages (the latency, but noisy: some drivers report
    nonsense while a stream starts), so it is a median over plausible blocks only.
    """
    if not len(blocks):
        return None
    first_samples, frames, callback_times, ages = blocks.T
    seconds_per_sample = _delivery_rate(first_samples, callback_times, sample_rate)
    plausible = (ages >= 0) & (ages <= MAX_PLAUSIBLE_CAPTURE_AGE)
    if plausible.any():
        starts = callback_times[plausible] - ages[plausible] - first_samples[plausible] * seconds_per_sample
    else:  # no usable ages: the block's last sample was captured just before its callback
        starts = callback_times - (first_samples + frames) * seconds_per_sample
    return AudioClock(float(np.median(starts)), seconds_per_sample)


def _delivery_rate(first_samples: np.ndarray, callback_times: np.ndarray, sample_rate: int) -> float:
    """Seconds per sample on the monotonic clock: the nominal rate corrected for clock drift."""
    nominal = 1.0 / sample_rate
    if first_samples[-1] * nominal < MIN_SECONDS_FOR_DRIFT_FIT:
        return nominal
    slope = np.polyfit(first_samples, callback_times, 1)[0]
    return float(slope) if abs(slope / nominal - 1.0) <= MAX_RATE_DEVIATION else nominal


def _complete_rows(path: Path, columns: int) -> np.ndarray:
    """Rows of a CSV written line by line; a last line cut off by a crash is ignored."""
    if not path.exists():
        return np.zeros((0, columns))
    text = path.read_text(encoding="ascii", errors="replace")
    lines = text.split("\n")[:-1]  # the piece after the last newline is incomplete
    rows = []
    for line in lines:
        fields = line.split(",")
        if len(fields) != columns:
            continue
        try:
            rows.append([float(v) for v in fields])
        except ValueError:
            continue
    return np.array(rows, np.float64).reshape(-1, columns)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
