"""Lip-sync figures: predicted mouths against the real ones, frame by frame, with two baselines.

- mouth landmark error: mean distance of the lip points from the real ones, in pixels of the
  256 px canonical crop;
- opening correlation: Pearson correlation over time of the inner-lip gap with the real gap.

The baselines give the figures a scale: `neutral` is the twin's resting face (no motion at all),
`loudness` moves the mouth and jaw by the sound's loudness alone (a least-squares line from the
frame's log power to each offset, fitted on the training frames).
"""

import numpy as np

from desktop_twin.face.align import CANONICAL_SIZE
from desktop_twin.training.motion_features import (
    LIPS_POINTS, MOUTH_JAW_POINTS, eye_distance, frame_log_power, mouth_offsets, mouth_opening)

LOUDNESS_ROWS = 5  # the loudness baseline averages log power over this many mel rows (50 ms)


def posed(neutral: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(frames, 478, 2) landmarks: the neutral face with the mouth and jaw moved by offsets (eye distances)."""
    landmarks = np.repeat(neutral[None, :, :2], len(offsets), axis=0).astype(np.float32)
    landmarks[:, MOUTH_JAW_POINTS] += offsets * np.float32(eye_distance(neutral))
    return landmarks


def lipsync_scores(predicted: np.ndarray, real: np.ndarray, crop_size: int = CANONICAL_SIZE) -> dict:
    """Scores of predicted against real landmarks, both (frames, 478, 2+) in crop pixels."""
    error = np.linalg.norm(predicted[:, LIPS_POINTS, :2] - real[:, LIPS_POINTS, :2], axis=-1)
    opening, real_opening = mouth_opening(predicted), mouth_opening(real)
    return {
        "mouth_landmark_error_px": float(error.mean() * CANONICAL_SIZE / crop_size),
        "opening_correlation": correlation(opening, real_opening),
        "opening_std_ratio": float(opening.std() / max(real_opening.std(), 1e-9)),
    }


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 where either does not vary (a still mouth follows nothing)."""
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def frame_loudness(mel: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean log power of the LOUDNESS_ROWS mel rows around each row, (len(rows),)."""
    power = frame_log_power(mel)
    half = LOUDNESS_ROWS // 2
    padded = np.pad(power, half, mode="edge")
    return np.array([padded[r:r + LOUDNESS_ROWS].mean() for r in np.clip(rows, 0, len(power) - 1)])


class LoudnessBaseline:
    """Mouth and jaw offsets as a straight-line function of the loudness: fitted, then applied."""

    def __init__(self, loudness: np.ndarray, landmarks: np.ndarray, neutral: np.ndarray):
        design = np.stack([np.ones_like(loudness), loudness], axis=1)
        targets = mouth_offsets(landmarks, neutral).reshape(len(loudness), -1)
        self.coefficients, *_ = np.linalg.lstsq(design, targets, rcond=None)

    def offsets(self, loudness: np.ndarray) -> np.ndarray:
        design = np.stack([np.ones_like(loudness), loudness], axis=1)
        return (design @ self.coefficients).reshape(len(loudness), -1, 2).astype(np.float32)
