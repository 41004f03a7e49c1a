"""How long after the sound the twin's mouth should move, measured on the person's own footage.

Fine-tuned on a recording, the audio-to-motion model follows seconds of it that it never saw
best when its motion is shown a few hundredths of a second later than it learnt: its mouth is
otherwise a touch early (on t01, the last 10 s of the training frames and the held-out 15 s both
agreed on 10-20 ms). The delay is measured without the held-out seconds: a trial model is
fine-tuned on all but the last seconds of the training frames, each delay is scored on those
seconds, and the best is kept when it clearly helps.

A delay of d mel rows is a window d rows further in the past: frames_before + d, frames_after - d,
the same length, so the network is unchanged and the live path needs d rows less look-ahead.
"""

import dataclasses

import numpy as np

from desktop_twin.capture.audio import MEL_HOP_SECONDS
from desktop_twin.training.audio_motion import AudioMotionNet
from desktop_twin.training.lipsync import correlation
from desktop_twin.training.motion_features import mouth_offsets
from desktop_twin.training.motion_samples import ClipPart, build_samples, opening_change, predict

VALIDATION_FRAMES = 250  # the last 10 s (at 25 fps) of the training frames
MIN_FIT_FRAMES = 500  # the trial model needs this many frames before the validation seconds
MAX_DELAY_ROWS = 4  # 40 ms
MIN_GAIN = 0.01  # correlation a delay must add over none to be kept


def validation_split(parts: list[ClipPart], frames: int = VALIDATION_FRAMES,
                     min_fit: int = MIN_FIT_FRAMES) -> tuple[list[ClipPart], list[ClipPart]] | None:
    """(parts to fit, the last `frames` of the last part to validate on); None for too little footage."""
    last = parts[-1]
    if len(last.frames) <= frames or sum(len(p.frames) for p in parts) - frames < min_fit:
        return None
    return (parts[:-1] + [dataclasses.replace(last, frames=last.frames[:-frames])],
            [dataclasses.replace(last, frames=last.frames[-frames:])])


def delay_scores(model: AudioMotionNet, parts: list[ClipPart]) -> dict[int, float]:
    """Mouth-opening correlation with the real mouth for each delay (mel rows), on parts."""
    before, after = model.config["frames_before"], model.config["frames_after"]
    samples = build_samples(parts, before, after)
    real = np.concatenate([mouth_offsets(p.clip.landmarks[p.frames], p.neutral) for p in parts])[:len(samples)]
    indices = np.arange(len(samples))
    scores = {}
    for delay in range(min(MAX_DELAY_ROWS, after) + 1):
        predicted = predict(model, samples.windows(indices, shift=np.full(len(indices), -delay)))
        scores[delay] = correlation(opening_change(predicted), opening_change(real))
    return scores


def best_delay(scores: dict[int, float]) -> int:
    best = max(scores, key=scores.get)
    return best if scores[best] >= scores[0] + MIN_GAIN else 0


def delay_motion(model: AudioMotionNet, delay: int) -> None:
    """Show the model's motion `delay` mel rows later: its window reaches that much further back."""
    model.config["frames_before"] += delay
    model.config["frames_after"] -= delay


def delay_ms(rows: int) -> int:
    """A delay in mel rows, in milliseconds."""
    return round(rows * MEL_HOP_SECONDS * 1000)
