"""Test rig: play real sound into the virtual microphone on a schedule, and compare recordings
with their sources (audio by cross-correlation, video by matching frames)."""

import threading
import time

import cv2
import numpy as np
import sounddevice as sd

from desktop_twin.capture import recording_format as fmt
from desktop_twin.capture.ring_buffer import AudioChunk

PLAYBACK_RATE = 48_000
THUMBNAIL = (32, 32)
MAX_SCHEDULE_SLIP = 0.005  # seconds the playback may drift from its schedule before it jumps


class ScheduledPlayer:
    """Plays into the PulseAudio sink; play(samples, at=T) makes sample 0 enter the sink at
    monotonic time T (samples due before the stream could play them are skipped).

    Use it in a with block. The stream runs (silent) from the start, so its latency has settled before the
    scheduled sound begins. Each buffer's entry time comes from PortAudio's DAC time.
    """

    def __init__(self, device: str):
        self._stream = sd.OutputStream(device=device, samplerate=PLAYBACK_RATE, channels=1, dtype="float32",
                                       callback=self._on_buffer)
        self._lock = threading.Lock()
        self._samples: np.ndarray | None = None
        self._at = 0.0
        self._position: int | None = None
        self.schedule_errors: list[float] = []  # per buffer: entry time minus the scheduled time, seconds
        self.realignments = 0

    def __enter__(self) -> "ScheduledPlayer":
        self._stream.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stream.stop()
        self._stream.close()

    def play(self, samples: np.ndarray, at: float | None = None) -> None:
        with self._lock:
            self._samples = samples.astype(np.float32)
            self._at = time.monotonic() if at is None else at
            self._position = None

    def _on_buffer(self, outdata, frames, times, status) -> None:
        outdata.fill(0)
        entry = time.monotonic() + (times.outputBufferDacTime - times.currentTime)
        with self._lock:
            if self._samples is None:
                return
            due = round((entry - self._at) * PLAYBACK_RATE)
            if self._position is None or abs(due - self._position) > MAX_SCHEDULE_SLIP * PLAYBACK_RATE:
                # Start, or the stream stalled (an underrun): play what is due now, keep the schedule.
                self.realignments += self._position is not None
                self._position = max(0, due)
            chunk = self._samples[self._position:self._position + frames]
            outdata[:len(chunk), 0] = chunk
            if len(chunk):
                self.schedule_errors.append(entry - (self._at + self._position / PLAYBACK_RATE))
            self._position += frames


def audio_lag(recorded: np.ndarray, source: np.ndarray, rate: int) -> tuple[float, float]:
    """(seconds, correlation): where the source starts in the recording, and how well it matches
    there (normalised cross-correlation, 1.0 for an exact copy)."""
    size = 1 << int(np.ceil(np.log2(len(recorded) + len(source))))
    spectrum = np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(source, size))
    correlation = np.fft.irfft(spectrum, size)
    lags = np.concatenate([np.arange(0, len(recorded)), np.arange(-len(source) + 1, 0)])
    values = np.concatenate([correlation[:len(recorded)], correlation[size - len(source) + 1:]])
    best = int(np.argmax(values))
    lag = int(lags[best])
    overlap_recorded = recorded[max(lag, 0):max(lag, 0) + len(source) - max(-lag, 0)]
    overlap_source = source[max(-lag, 0):max(-lag, 0) + len(overlap_recorded)]
    energy = np.sqrt(np.sum(overlap_recorded ** 2) * np.sum(overlap_source ** 2)) + 1e-12
    return lag / rate, float(values[best] / energy)


def windowed_audio_lags(recorded: np.ndarray, source: np.ndarray, rate: int, window: float = 1.0,
                        min_correlation: float = 0.6) -> np.ndarray:
    """audio_lag of each window of the recording that clearly matches the source: robust to the
    odd glitch of the test's playback under load, which would spoil one long correlation."""
    size = int(window * rate)
    lags = []
    for start in range(0, len(recorded) - size + 1, size):
        piece = recorded[start:start + size]
        if np.sqrt(np.mean(piece ** 2)) < 1e-3:
            continue  # a pause in the speech says nothing about where it is
        offset, correlation = audio_lag(source, piece, rate)  # where the piece sits in the source
        if correlation >= min_correlation:
            lags.append(start / rate - offset)
    return np.array(lags)


def thumbnails(frames) -> np.ndarray:
    """Small grey copies of frames, for matching recorded frames to their sources."""
    return np.array([
        cv2.resize(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), THUMBNAIL, interpolation=cv2.INTER_AREA).ravel()
        for f in frames
    ], np.float32)


def match_frames(recorded: np.ndarray, source: np.ndarray) -> np.ndarray:
    """For each recorded thumbnail, the index of the nearest source thumbnail."""
    distances = ((recorded[:, None, :] - source[None, :, :]) ** 2).mean(-1)
    return distances.argmin(1)


def read_frames(path, limit: int | None = None) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while limit is None or len(frames) < limit:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def write_synthetic_recording(folder, frames, frame_times, samples, audio_start, fps=25.0, rate=PLAYBACK_RATE,
                              block=480, delivery_delay=0.003):
    """A recording folder as the recorder writes it, with chosen capture times: frames at
    frame_times, 16-bit samples whose first was captured at audio_start."""
    folder.mkdir()
    height, width = frames[0].shape[:2]
    fmt.write_metadata(folder, fmt.RecordingMetadata("synthetic", fps, width, height, "synthetic", rate))
    video, audio = fmt.VideoTrackWriter(folder), fmt.AudioTrackWriter(folder)
    for frame, time_ in zip(frames, frame_times):
        video.write(frame, float(time_))
    for first in range(0, len(samples) - block + 1, block):
        age = block / rate + delivery_delay  # PortAudio's capture age is that of the block's first sample
        timing = np.array([[first, block, audio_start + first / rate + age, age]])
        audio.write(AudioChunk(first, samples[first:first + block].reshape(-1, 1), timing))
    video.close()
    audio.close()
