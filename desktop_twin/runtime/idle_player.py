"""The twin's own idle motion, played: blinks at its person's rate and head drift with their spectrum.

Both are functions of time, seeded, so a video rendered twice is the same, and both run forward
frame by frame (the live path) or over a file's frames alike.

- Blinks come at random, intervals drawn from a gamma distribution around the person's mean
  interval; each closes and opens the lids along a raised cosine, deep as the person's blinks.
- The head drifts by a sum of sinusoids: per component and frequency band, a few sines of random
  frequency in the band and random phase, whose summed spread is the person's in that band.
"""

import numpy as np

from desktop_twin.runtime.twin_assets import IdleSettings
from desktop_twin.training.motion_features import BLINK_RATIO, EYES

BLINK_SHAPE = 3.0  # gamma shape of the intervals between blinks: regular-ish, never clockwork
MIN_BLINK_GAP_SECONDS = 0.6
SINES_PER_BAND = 3
UPPER_LID_SHARE = 0.75  # of the closing: the upper lid comes down most of the way
FIRST_BLINK_DELAY_SECONDS = 1.0


class IdlePlayer:
    def __init__(self, idle: IdleSettings, canonical_size: int, seed: int = 0):
        self.idle = idle
        self.size = canonical_size
        self._rng = np.random.default_rng(seed)
        self._blinks: list[float] = []  # start times, ascending
        self._next = FIRST_BLINK_DELAY_SECONDS + self._gap()
        self._width = blink_width(idle.blink_seconds, idle.blink_depth)
        self._sines = {name: self._draw_sines(spread) for name, spread in idle.head_spread.items()}

    # -- blinks ----------------------------------------------------------------------------

    def _gap(self) -> float:
        if self.idle.blinks_per_minute <= 0:
            return np.inf
        mean = 60.0 / self.idle.blinks_per_minute
        return max(MIN_BLINK_GAP_SECONDS, float(self._rng.gamma(BLINK_SHAPE, mean / BLINK_SHAPE)))

    def closure(self, time_seconds: float) -> float:
        """How closed the eyes are at this time: 0 open, 1 as closed as the person's blinks go."""
        while self._next <= time_seconds:
            self._blinks.append(self._next)
            self._next += self._width + self._gap()
        start = next((b for b in reversed(self._blinks) if b <= time_seconds), None)
        if start is None or time_seconds - start >= self._width:
            return 0.0
        return float(0.5 - 0.5 * np.cos(2 * np.pi * (time_seconds - start) / self._width))

    def blink(self, landmarks: np.ndarray, time_seconds: float) -> np.ndarray:
        """The landmarks (in place) with the eyelids as closed as this moment's blink has them."""
        closure = self.closure(time_seconds)
        if closure > 0:
            close_eyes(landmarks, closure * (1.0 - self.idle.blink_depth))
        return landmarks

    # -- head ------------------------------------------------------------------------------

    def _draw_sines(self, spread: np.ndarray) -> np.ndarray:
        """(bands * SINES_PER_BAND, 3): frequency, phase, amplitude."""
        sines = []
        for (low, high), deviation in zip(self.idle.head_bands_hz, spread):
            frequencies = np.exp(self._rng.uniform(np.log(low), np.log(high), SINES_PER_BAND))
            phases = self._rng.uniform(0, 2 * np.pi, SINES_PER_BAND)
            amplitude = deviation * np.sqrt(2.0 / SINES_PER_BAND)  # the sines' summed variance: deviation^2
            sines += [(f, p, amplitude) for f, p in zip(frequencies, phases)]
        return np.array(sines).reshape(-1, 3)

    def _value(self, name: str, time_seconds: float) -> float:
        sines = self._sines.get(name)
        if sines is None or not len(sines):
            return 0.0
        return float((sines[:, 2] * np.sin(2 * np.pi * sines[:, 0] * time_seconds + sines[:, 1])).sum())

    def head_motion(self, time_seconds: float) -> np.ndarray:
        """2x3, canonical crop -> canonical crop: the head rolled, scaled and shifted about the crop's centre."""
        roll = self._value("roll", time_seconds)
        scale = np.exp(self._value("log_scale", time_seconds))
        shift = np.array([self._value("shift_x", time_seconds), self._value("shift_y", time_seconds)]) * self.size
        centre = np.array([self.size / 2, self.size / 2])
        linear = scale * np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]])
        return np.hstack([linear, (centre + shift - linear @ centre)[:, None]])


def blink_width(closed_seconds: float, depth: float) -> float:
    """The whole blink's length for which the lids stay below BLINK_RATIO of open for closed_seconds
    (the measured duration), along a raised cosine that reaches `depth`."""
    level = (1.0 - BLINK_RATIO) / max(1.0 - depth, 1e-3)  # closure above which the eye reads as closed
    if level >= 1.0:
        return max(closed_seconds, 0.05) * 2.0
    above = 1.0 - np.arccos(1.0 - 2.0 * level) / np.pi  # the share of a raised cosine above `level`
    return max(closed_seconds / above, 0.05)


def close_eyes(landmarks: np.ndarray, amount: float) -> np.ndarray:
    """Narrow each eye's lid gap by `amount` (0 none, 1 shut): the upper lid comes down, the lower up a
    little, and the iris flattens between them. In place; landmarks (478, 2+)."""
    for pairs, _, iris in EYES:
        upper, lower = landmarks[pairs[:, 0], 1].copy(), landmarks[pairs[:, 1], 1].copy()
        gap = lower - upper
        landmarks[pairs[:, 0], 1] = upper + amount * UPPER_LID_SHARE * gap
        landmarks[pairs[:, 1], 1] = lower - amount * (1.0 - UPPER_LID_SHARE) * gap
        middle = (upper.mean() + lower.mean()) / 2 + amount * (UPPER_LID_SHARE - 0.5) * gap.mean()
        landmarks[iris, 1] = middle + (landmarks[iris, 1] - middle) * (1.0 - amount)
    return landmarks
