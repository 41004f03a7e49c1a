"""Per-stage timings of the live path, kept over a recent window, reported as medians.

Medians, not means: one frame delayed by the scheduler should not move the figures.
"""

import threading
import time
from collections import deque

import numpy as np

STAGES = ("face", "retarget_sketch", "renderer", "composite", "total")
WINDOW_FRAMES = 120  # about four seconds at 30 fps


class StageTimes:
    """Milliseconds per stage of recent frames; written by one thread, read by any."""

    def __init__(self, window: int = WINDOW_FRAMES):
        self._recent = {stage: deque(maxlen=window) for stage in STAGES}
        self._lock = threading.Lock()

    def add(self, timings_ms: dict[str, float]) -> None:
        with self._lock:
            for stage, value in timings_ms.items():
                self._recent[stage].append(value)

    def medians(self) -> dict[str, float]:
        with self._lock:
            return {stage: float(np.median(values)) for stage, values in self._recent.items() if values}


class RateMeter:
    """Events per second over the recent window (frames delivered, for the fps shown)."""

    def __init__(self, window: int = WINDOW_FRAMES):
        self._times = deque(maxlen=window)
        self._lock = threading.Lock()

    def tick(self, now: float | None = None) -> None:
        with self._lock:
            self._times.append(time.monotonic() if now is None else now)

    def rate(self) -> float:
        with self._lock:
            if len(self._times) < 2 or self._times[-1] <= self._times[0]:
                return 0.0
            return (len(self._times) - 1) / (self._times[-1] - self._times[0])


class Stopwatch:
    """Milliseconds between successive lap() calls, named by stage."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._start = self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = (now - self._last) * 1000.0
        self._last = now

    def total(self) -> dict[str, float]:
        return {**self.laps, "total": (time.perf_counter() - self._start) * 1000.0}
