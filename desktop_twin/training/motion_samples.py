"""Training samples for audio-to-motion, and the loop that fits the network to them.

A sample is one video frame: the normalised log-mel window around it and its mouth offsets.
Every clip's mel is laid end to end in one array, each padded with silence on both sides, so a
batch of windows is one fancy index.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from desktop_twin.errors import UserError
from desktop_twin.training.audio_motion import AudioMotionNet
from desktop_twin.training.motion_features import (
    INNER_LIP_PAIRS, MOUTH_JAW_POINTS, SILENCE_LOG_MEL, frame_log_power, mel_row, mouth_offsets)
from desktop_twin.training.schedule import learning_rate
from desktop_twin.training.speech_clips import SpeechClip

GAIN_JITTER = 0.5  # +-2 dB of loudness, in natural-log power
TILT_JITTER = 0.5  # a microphone's colour: a log-power ramp across the mel bins, +-this at the ends
MAX_MASKED_BINS = 8  # one band of mel bins replaced by its mean (SpecAugment's frequency mask)
TIME_JITTER_ROWS = 1  # +-10 ms between sound and picture
TEMPO_JITTER = 0.15  # speech a little faster or slower: the window's rows spread by 1 +- this
# A frame is silent when no mel row within SILENCE_ROWS of it comes within SILENCE_BELOW of the
# speech level; silent frames learn the person's closed mouth, whatever the lips did in the pause.
SILENCE_ROWS = 30
SILENCE_BELOW = 5.0  # natural-log power (about 22 dB)
CLOSED_FRACTION = 0.15  # the frames with the smallest lip gap make the closed mouth
CLOSE_IN_SILENCE = True
# Some windows of each batch are replaced by quiet noise (30-60 dB below speech, digital silence
# at the bottom) that teaches the closed mouth too: footage with few pauses still learns to rest.
QUIET_SHARE = 0.1
QUIET_LEVELS = (-24.0, -7.0)  # per-bin log power, speech peaking near 0 (digital silence near -21)
OPENING_WEIGHT = 1.0  # the inner-lip gap, what speech shows most, counts again on its own in the loss
# Where the inner lips' points sit among the model's points.
_UPPER_LIP = np.array([list(MOUTH_JAW_POINTS).index(p) for p in INNER_LIP_PAIRS[:, 0]])
_LOWER_LIP = np.array([list(MOUTH_JAW_POINTS).index(p) for p in INNER_LIP_PAIRS[:, 1]])


@dataclass
class MotionSamples:
    mel: np.ndarray  # (rows, bins) normalised log-mel of every clip, padded with silence around each
    centres: np.ndarray  # (samples,) each sample's row in mel
    offsets: np.ndarray  # (samples, points, 2) float32 in eye distances
    closed: np.ndarray  # (samples, points, 2) the closed mouth of each sample's clip part
    before: int
    after: int

    def __len__(self) -> int:
        return len(self.centres)

    def windows(self, indices: np.ndarray, shift: np.ndarray | None = None,
                tempo: np.ndarray | None = None) -> np.ndarray:
        """(len(indices), window, bins) log-mel windows, optionally shifted by a few rows and
        stretched in time (tempo: rows per row, about 1) each."""
        centres = self.centres[indices] + (0 if shift is None else shift)
        steps = np.arange(-self.before, self.after + 1)
        if tempo is not None:
            steps = np.round(steps[None] * tempo[:, None]).astype(int)
        return self.mel[centres[:, None] + steps]

    @property
    def variance(self) -> float:
        return float(self.offsets.var(axis=0).mean())

    @property
    def opening_variance(self) -> float:
        return float(opening_change(self.offsets).var())


def opening_change(offsets):
    """How much offsets (..., points, 2) open the mouth (motion_features.mouth_opening's units), numpy or torch."""
    return (offsets[..., _LOWER_LIP, 1] - offsets[..., _UPPER_LIP, 1]).mean(-1)


@dataclass
class ClipPart:
    """Frames of one clip to learn from: the clip, which frames, their neutral face and the
    loudness offset of the clip's audio (motion_features.loudness_offset)."""

    clip: SpeechClip
    frames: np.ndarray
    neutral: np.ndarray
    loudness_offset: float


def build_samples(parts: list[ClipPart], before: int, after: int) -> MotionSamples:
    pad = round((before + after) * (1 + TEMPO_JITTER)) + TIME_JITTER_ROWS + 1
    mels, centres, offsets, closed, start = [], [], [], [], 0
    for part in parts:
        silence = np.full((pad, part.clip.mel.shape[1]), SILENCE_LOG_MEL, np.float32)
        mel = np.concatenate([silence, part.clip.mel, silence]) + np.float32(part.loudness_offset)
        rows = np.array([mel_row(t) for t in part.clip.times[part.frames]])
        keep = rows < len(part.clip.mel)  # frames after the audio ends say nothing about it
        mels.append(mel)
        centres.append(start + pad + rows[keep])
        part_offsets = mouth_offsets(part.clip.landmarks[part.frames[keep]], part.neutral)
        shut = closed_mouth(part_offsets)
        if CLOSE_IN_SILENCE:
            part_offsets[silent_rows(mel[pad:-pad], rows[keep])] = shut
        offsets.append(part_offsets)
        closed.append(np.repeat(shut[None], len(part_offsets), axis=0))
        start += len(mel)
    if not sum(len(c) for c in centres):
        raise UserError("The footage has no frames with both a face and sound to learn speaking from.")
    return MotionSamples(np.concatenate(mels).astype(np.float32), np.concatenate(centres),
                         np.concatenate(offsets).astype(np.float32), np.concatenate(closed).astype(np.float32),
                         before, after)


def silent_rows(normalised_mel: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Which of these rows lie in a pause: nothing near them reaches speech loudness."""
    power = frame_log_power(normalised_mel)
    padded = np.pad(power, SILENCE_ROWS, constant_values=-np.inf)
    nearby = np.lib.stride_tricks.sliding_window_view(padded, 2 * SILENCE_ROWS + 1).max(axis=1)
    return nearby[rows] < -SILENCE_BELOW


def closed_mouth(offsets: np.ndarray) -> np.ndarray:
    """(points, 2): the closed mouth of some frames, the mean of those with the smallest lip gap."""
    opening = opening_change(offsets)
    return offsets[opening <= np.quantile(opening, CLOSED_FRACTION)].mean(axis=0)


def closed_in_silence(offsets: np.ndarray, silent: np.ndarray) -> np.ndarray:
    """Offsets with the silent frames' replaced by the closed mouth."""
    out = offsets.copy()
    if silent.any():
        out[silent] = closed_mouth(offsets)
    return out


def quiet_windows(count: int, window: int, bins: int, rng: np.random.Generator) -> np.ndarray:
    """Windows of quiet noise: each at its own level, with a little colour and grain (or none: digital silence)."""
    level = rng.uniform(*QUIET_LEVELS, (count, 1, 1))
    tilt = rng.uniform(-1.0, 1.0, (count, 1, 1)) * np.linspace(-1, 1, bins)[None, None]
    grain = rng.normal(0.0, 1.0, (count, window, bins)) * rng.uniform(0.0, 0.5, (count, 1, 1))
    return (level + tilt + grain).astype(np.float32)


def augmented(windows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Loudness, microphone colour and a missing band, each drawn per window."""
    count, _, bins = windows.shape
    gain = rng.uniform(-GAIN_JITTER, GAIN_JITTER, (count, 1, 1))
    tilt = rng.uniform(-TILT_JITTER, TILT_JITTER, (count, 1, 1)) * np.linspace(-1, 1, bins)[None, None]
    out = windows + (gain + tilt).astype(np.float32)
    widths = rng.integers(0, MAX_MASKED_BINS + 1, count)
    starts = rng.integers(0, bins - MAX_MASKED_BINS, count)
    for i in np.flatnonzero(widths):
        band = slice(starts[i], starts[i] + widths[i])
        out[i, :, band] = out[i, :, band].mean()
    return out


def fit(model: AudioMotionNet, samples: MotionSamples, steps: int, peak_lr: float, batch_size: int = 64,
        seed: int = 0, weight_decay: float = 1e-4, progress: Callable[[int, float], None] | None = None,
        cancel: threading.Event | None = None) -> list[float]:
    """Fit the model (on the CPU) to the samples; the loss of each step, relative to the offsets' variance."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak_lr, weight_decay=weight_decay)
    scale, losses = 1.0 / max(samples.variance, 1e-12), []
    opening_scale = OPENING_WEIGHT / max(samples.opening_variance, 1e-12)
    for step in range(steps):
        if cancel is not None and cancel.is_set():
            break
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, peak_lr)
        chosen = rng.integers(0, len(samples), batch_size)
        shift = rng.integers(-TIME_JITTER_ROWS, TIME_JITTER_ROWS + 1, batch_size)
        tempo = rng.uniform(1 - TEMPO_JITTER, 1 + TEMPO_JITTER, batch_size) if TEMPO_JITTER else None
        windows = augmented(samples.windows(chosen, shift, tempo), rng)
        targets = samples.offsets[chosen].copy()
        quiet = rng.random(batch_size) < QUIET_SHARE
        windows[quiet] = quiet_windows(int(quiet.sum()), windows.shape[1], windows.shape[2], rng)
        targets[quiet] = samples.closed[chosen[quiet]]
        windows = torch.from_numpy(windows)
        # Each member learns on its own (the same batch, its own start and dropout): an ensemble.
        predicted, target = model.member_offsets(windows), torch.from_numpy(targets)
        loss = ((predicted - target) ** 2).mean() * scale
        loss = loss + ((opening_change(predicted) - opening_change(target)) ** 2).mean() * opening_scale
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(step + 1, losses[-1])
    model.eval()
    return losses


@torch.no_grad()
def predict(model: AudioMotionNet, windows: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(n, points, 2) offsets for (n, window, bins) normalised log-mel windows."""
    model.eval()
    outputs = [model(torch.from_numpy(np.ascontiguousarray(windows[i:i + batch_size]))).numpy()
               for i in range(0, len(windows), batch_size)]
    return np.concatenate(outputs) if outputs else np.zeros((0, model.config["points"], 2), np.float32)
