"""Quality of microphone audio as it arrives: level, clipping, noise floor, speech (WebRTC VAD)."""

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from desktop_twin.capture import warnings as w
from desktop_twin.capture.audio import VAD_AGGRESSIVENESS, VAD_FRAME_SECONDS

VAD_RATES = (8000, 16000, 32000, 48000)
WINDOW_SECONDS = 5.0  # levels and noise are judged over this much recent audio
CLIP_LEVEL = 32700  # of 32767: a sample this loud was most likely cut off
# Thresholds measured on LibriSpeech: clean speech sits at -25 to -44 dBFS with floors of
# -40 to -83 dBFS; white noise at -35 dBFS raises the floor to -34; a copy amplified 8x
# and clipped has 0.04-10 % of its samples at full scale.
MAX_CLIPPED_FRACTION = 0.0002
MIN_SPEECH_DBFS = -48.0
MIN_PEAK_DBFS = -50.0  # with no speech at all: is the microphone on?
SILENT_PEAK_DBFS = -80.0  # below any room's noise: a microphone muted or off
MAX_NOISE_FLOOR_DBFS = -38.0
NOISE_FLOOR_PERCENTILE = 10
SILENCE_DBFS = -120.0
SPEAKING_NOW_SECONDS = 0.3
MIN_JUDGED_SECONDS = 1.0  # less audio than this is not judged


@dataclass(frozen=True)
class AudioMeasures:
    peak_dbfs: float
    clipped_fraction: float
    speech_dbfs: float | None  # median level of the speech frames; None: no speech in the window
    noise_floor_dbfs: float
    speech_seconds_recent: float  # within the window
    speech_seconds_total: float
    window_seconds: float  # how much audio these measures judge


class AudioQualityMeter:
    """Feed 16-bit mono samples as they arrive; measures() describes the last WINDOW_SECONDS."""

    def __init__(self, sample_rate: int):
        self.sample_rate = sample_rate
        self._frame_size = round(VAD_FRAME_SECONDS * sample_rate)
        self._vad = webrtcvad.Vad(VAD_AGGRESSIVENESS)
        self._pending = np.zeros(0, np.int16)
        window_frames = int(WINDOW_SECONDS / VAD_FRAME_SECONDS)
        self._levels = deque(maxlen=window_frames)  # per frame: rms dBFS, peak, clipped samples, speech
        self.speech_seconds = 0.0
        self.seconds = 0.0

    def add(self, samples: np.ndarray) -> None:
        samples = np.concatenate([self._pending, samples.reshape(-1).astype(np.int16, copy=False)])
        whole = len(samples) // self._frame_size * self._frame_size
        for frame in samples[:whole].reshape(-1, self._frame_size):
            self._add_frame(frame)
        self._pending = samples[whole:]

    def _add_frame(self, frame: np.ndarray) -> None:
        magnitude = np.abs(frame.astype(np.int32))
        rms = float(np.sqrt(np.mean(magnitude.astype(np.float64) ** 2)))
        speech = self._vad.is_speech(_for_vad(frame, self.sample_rate).tobytes(), _vad_rate(self.sample_rate))
        self._levels.append((_dbfs(rms), int(magnitude.max()), int((magnitude >= CLIP_LEVEL).sum()), speech))
        self.seconds += VAD_FRAME_SECONDS
        self.speech_seconds += VAD_FRAME_SECONDS if speech else 0.0

    def speaking_recently(self, seconds: float = SPEAKING_NOW_SECONDS) -> bool:
        recent = list(self._levels)[-max(1, round(seconds / VAD_FRAME_SECONDS)):]
        return any(speech for *_, speech in recent)

    def measures(self) -> AudioMeasures:
        if not self._levels:
            return AudioMeasures(SILENCE_DBFS, 0.0, None, SILENCE_DBFS, 0.0, self.speech_seconds, 0.0)
        levels, peaks, clipped, speech = (np.array(column) for column in zip(*self._levels))
        return AudioMeasures(
            peak_dbfs=_dbfs(float(peaks.max())),
            clipped_fraction=float(clipped.sum()) / (len(levels) * self._frame_size),
            speech_dbfs=float(np.median(levels[speech])) if speech.any() else None,
            noise_floor_dbfs=float(np.percentile(levels, NOISE_FLOOR_PERCENTILE)),
            speech_seconds_recent=float(speech.sum()) * VAD_FRAME_SECONDS,
            speech_seconds_total=self.speech_seconds,
            window_seconds=len(levels) * VAD_FRAME_SECONDS,
        )


def audio_warnings(measures: AudioMeasures, expect_speech: bool = False) -> list[w.QualityWarning]:
    if measures.window_seconds < MIN_JUDGED_SECONDS:
        return []
    found = []
    if measures.clipped_fraction > MAX_CLIPPED_FRACTION:
        found.append(w.CLIPPING)
    if expect_speech:
        heard = measures.speech_dbfs
        quiet = heard < MIN_SPEECH_DBFS if heard is not None else measures.peak_dbfs < MIN_PEAK_DBFS
    else:  # keeping still or silent: a quiet room is right (its noise can pass for faint speech); no signal is not
        quiet = measures.peak_dbfs < SILENT_PEAK_DBFS
    if quiet:
        found.append(w.TOO_QUIET)
    if measures.noise_floor_dbfs > MAX_NOISE_FLOOR_DBFS:
        found.append(w.NOISY_ROOM)
    if expect_speech and measures.speech_dbfs is None:
        found.append(w.NO_SPEECH)
    return found


def _dbfs(amplitude: float) -> float:
    return 20.0 * float(np.log10(amplitude / 32768.0)) if amplitude > 0 else SILENCE_DBFS


def _vad_rate(sample_rate: int) -> int:
    return sample_rate if sample_rate in VAD_RATES else 16000


def _for_vad(frame: np.ndarray, sample_rate: int) -> np.ndarray:
    """The frame at a rate the WebRTC detector takes (linear interpolation is enough for it)."""
    if sample_rate in VAD_RATES:
        return frame
    count = round(VAD_FRAME_SECONDS * 16000)
    positions = np.linspace(0, len(frame) - 1, count)
    return np.interp(positions, np.arange(len(frame)), frame).astype(np.int16)
