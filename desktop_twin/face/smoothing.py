"""Temporal smoothing of landmarks: the One Euro filter (Casiez et al., CHI 2012).

It smooths hard when the face is still (no jitter) and follows at once when it
moves fast (no lag), by raising the cut-off frequency with the speed. Positions
are measured in face widths so one setting works at any distance from the camera.
"""

import math

import numpy as np


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 1.5, derivative_cutoff_hz: float = 1.0):
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.derivative_cutoff_hz = derivative_cutoff_hz
        self.reset()

    def reset(self) -> None:
        self._previous: np.ndarray | None = None
        self._velocity: np.ndarray | None = None
        self._time: float | None = None

    def __call__(self, values: np.ndarray, time_seconds: float, scale: float = 1.0) -> np.ndarray:
        """Filter one sample; scale is the size that makes speeds comparable (the face's width)."""
        values = np.asarray(values, dtype=np.float64)
        if self._previous is None or self._time is None or time_seconds <= self._time:
            self._previous, self._velocity, self._time = values, np.zeros_like(values), time_seconds
            return values.copy()
        dt = time_seconds - self._time
        velocity = (values - self._previous) / dt / max(scale, 1e-6)
        a_d = _alpha(self.derivative_cutoff_hz, dt)
        self._velocity = a_d * velocity + (1.0 - a_d) * self._velocity
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._velocity)
        a = 1.0 / (1.0 + 1.0 / (2.0 * np.pi * cutoff * dt))
        self._previous = a * values + (1.0 - a) * self._previous
        self._time = time_seconds
        return self._previous.copy()
