"""Log-mel rows of sound that arrives a block at a time: the rows capture.audio.log_mel gives for the
whole sound, each as soon as its window of samples is in.

A row is centred on its time (row i at i hops), so it needs half a window of the future: with
capture.audio's 25 ms window, 12.5 ms.
"""

import functools

import numpy as np

from desktop_twin.capture import audio


@functools.cache
def _filterbank(sample_rate: int, n_fft: int, bins: int) -> np.ndarray:
    return audio._mel_filterbank(sample_rate, n_fft, bins)


class MelStream:
    def __init__(self, sample_rate: int = audio.SAMPLE_RATE):
        self.sample_rate = sample_rate
        self.hop = round(audio.MEL_HOP_SECONDS * sample_rate)
        self.window = round(audio.MEL_WINDOW_SECONDS * sample_rate)
        self.n_fft = 1 << (self.window - 1).bit_length()
        self._taper = np.hanning(self.window).astype(np.float32)
        # The sound as log_mel pads it (half a window of silence first), from sample _start of that on.
        self._pending = np.zeros(self.window // 2, np.float32)
        self._start = 0
        self.rows = 0  # rows given out so far

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Take float32 mono samples at sample_rate; the (new rows, MEL_BINS) rows now complete."""
        self._pending = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        available = self._start + len(self._pending)
        ready = (available - self.window) // self.hop + 1 if available >= self.window else 0
        if ready <= self.rows:
            return np.zeros((0, audio.MEL_BINS), np.float32)
        first = self.rows * self.hop - self._start
        frames = np.lib.stride_tricks.sliding_window_view(self._pending[first:], self.window)[::self.hop]
        rows = self._log_mel(frames[:ready - self.rows])
        self.rows = ready
        consumed = self.rows * self.hop - self._start
        self._pending, self._start = self._pending[consumed:], self._start + consumed
        return rows

    def _log_mel(self, frames: np.ndarray) -> np.ndarray:
        spectrum = np.abs(np.fft.rfft(frames * self._taper, n=self.n_fft)) ** 2
        mel = spectrum @ _filterbank(self.sample_rate, self.n_fft, audio.MEL_BINS).T
        return np.log(mel + 1e-6).astype(np.float32)
