"""Lip-sync figures: predicted mouths against the real ones, frame by frame, with two baselines.

- mouth landmark error: mean distance of the lip points from the real ones, in pixels of the
  256 px canonical crop;
- opening correlation: Pearson correlation over time of the inner-lip gap with the real gap.

The baselines give the figures a scale: `neutral` is the twin's resting face (no motion at all),
`loudness` moves the mouth and jaw by the sound's loudness alone (a least-squares line from the
frame's log power to each offset, fitted on the training frames).
"""

import numpy as np

from desktop_twin.errors import UserError
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
    if np.ptp(a) < 1e-7 or np.ptp(b) < 1e-7:
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


# -- a trained twin on its held-out footage -------------------------------------------------------


def evaluate_lipsync(project, model=None) -> dict:
    """The project's fine-tuned audio-to-motion model (or `model`) and both baselines on its held-out
    frames: each held-out footage part's own audio (loudness-normalised on its own, as a file would be)
    drives the twin's neutral face; the real frames' landmarks are the answer."""
    real, candidates, seconds = held_out_mouths(project, model)
    return {"frames": len(real), "seconds": seconds,
            **{name: lipsync_scores(landmarks, real) for name, landmarks in candidates.items()}}


def held_out_mouths(project, model=None) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    """The held-out frames' real landmarks, each candidate's (model, neutral, loudness) posed
    landmarks for them, and how many seconds they span."""
    from desktop_twin.training.audio_motion import model_from_state
    from desktop_twin.training.motion_samples import build_samples, predict
    from desktop_twin.training.speech_training import load_speech_checkpoint, project_parts

    model = model if model is not None else model_from_state(load_speech_checkpoint(project))
    train_parts, neutral, _ = project_parts(project)
    held_parts, _, _ = project_parts(project, held_out=True)
    if not held_parts:
        raise UserError(f"Twin {project.name!r} has no held-out frames with a face and sound to score.")
    before, after = model.config["frames_before"], model.config["frames_after"]
    held = build_samples(held_parts, before, after)
    real = np.concatenate([p.clip.landmarks[p.frames] for p in held_parts])[:len(held)]
    loudness = LoudnessBaseline(parts_loudness(train_parts), np.concatenate(
        [p.clip.landmarks[p.frames] for p in train_parts]), neutral)
    offsets = {
        "model": predict(model, held.windows(np.arange(len(held)))),
        "neutral": np.zeros_like(held.offsets),
        "loudness": loudness.offsets(parts_loudness(held_parts)),
    }
    seconds = round(len(held) / project_fps(held_parts), 2)
    return real, {name: posed(neutral, o) for name, o in offsets.items()}, seconds


def parts_loudness(parts) -> np.ndarray:
    """Normalised loudness of each frame of some ClipParts, in order."""
    from desktop_twin.training.motion_features import mel_row

    return np.concatenate([
        frame_loudness(p.clip.mel, np.array([mel_row(t) for t in p.clip.times[p.frames]])) + p.loudness_offset
        for p in parts])


def project_fps(parts) -> float:
    return float(1.0 / np.median(np.diff(parts[0].clip.times)))
