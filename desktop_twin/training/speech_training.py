"""Teaching the twin to speak: audio-to-motion pretrained across speakers, fine-tuned on the person.

Pretraining reads videos of people talking (face pipeline + audio, cached) and writes the base
model bundled in resources/models. Fine-tuning starts from that base and learns from the
person's own prepared footage, its training frames only (the held-out seconds stay unseen),
with the twin's neutral face (the reference frame the renderer was baked with) as the rest
pose. Both are core jobs: progress to a callback, cancel between steps.
"""

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_twin import __version__
from desktop_twin.capture.footage import file_sha256
from desktop_twin.errors import UserError, command
from desktop_twin.resources import model_path
from desktop_twin.store import TwinProject
from desktop_twin.training.audio_motion import (
    BASE_MODEL, CHECKPOINT_KIND, FRAMES_AFTER, FRAMES_BEFORE, AudioMotionNet, model_from_state, model_state)
from desktop_twin.training.checkpoints import load_checkpoint, save_checkpoint
from desktop_twin.training.data import PreparedData
from desktop_twin.training.motion_features import mel_row, speech_level
from desktop_twin.training.motion_samples import ClipPart, build_samples, fit
from desktop_twin.training.speech_clips import SpeechClip, cached_track_video, prepared_clips
from desktop_twin.training.speech_timing import best_delay, delay_motion, delay_scores, validation_split

CHECKPOINT = "audio_motion.pt"  # in a project's checkpoints folder
PRETRAIN_STEPS = 1500
PRETRAIN_LEARNING_RATE = 1e-3
FINE_TUNE_LEARNING_RATE = 1e-3
FINE_TUNE_STEPS_PER_FRAME = 0.5  # a minute of footage (1,500 frames): 750 steps
MIN_FINE_TUNE_STEPS, MAX_FINE_TUNE_STEPS = 100, 800
MIN_SPEECH_FRAMES = 50  # two seconds of a face with sound, at the least


@dataclass
class SpeechTrainResult:
    steps: int
    frames: int
    seconds: float
    checkpoint: Path
    final_loss: float
    delay_rows: int = 0  # mel rows (10 ms) the mouth moves after the sound it learnt from (speech_timing)


# -- parts of clips to learn from ----------------------------------------------------------------


def clip_part(clip: SpeechClip, frames: np.ndarray, neutral: np.ndarray | None = None) -> ClipPart | None:
    """Frames of a clip with a face and sound, their neutral face (the clip's median face when none is
    given) and the loudness offset of the audio they span; None when nothing is usable."""
    frames = frames[clip.has_face[frames]]
    rows = np.array([mel_row(t) for t in clip.times[frames]], int)
    frames = frames[rows < len(clip.mel)]
    if not len(frames):
        return None
    if neutral is None:
        neutral = np.median(clip.landmarks[frames], axis=0)
    span = clip.mel[max(rows.min() - FRAMES_BEFORE, 0):rows.max() + FRAMES_AFTER + 1]
    return ClipPart(clip, frames, neutral, -speech_level(span))


def project_parts(project: TwinProject, held_out: bool = False) -> tuple[list[ClipPart], np.ndarray, int]:
    """The project's training frames (or its held-out ones) as parts, one per footage file; the
    twin's neutral landmarks and the index of the reference frame they come from."""
    data = PreparedData.load(project.prepared_dir)
    train_indices, held_indices = data.held_out_split()
    reference = data.reference_index(train_indices)
    neutral = data.crop_landmarks[reference].astype(np.float32)
    wanted = set((held_indices if held_out else train_indices).tolist())
    parts = []
    for clip, indices in prepared_clips(project.prepared_dir):
        positions = np.array([i for i, index in enumerate(indices) if int(index) in wanted], int)
        part = clip_part(clip, positions, neutral) if len(positions) else None
        if part is not None:
            parts.append(part)
    return parts, neutral, reference


# -- pretraining ---------------------------------------------------------------------------------


def pretrain_audio_motion(videos: list[Path], out: Path, steps: int = PRETRAIN_STEPS, cache_dir: Path | None = None,
                          seed: int = 0, progress: Callable[[str], None] | None = None) -> dict:
    """The base audio-to-motion model from videos of people talking, written to `out`."""
    report = progress or (lambda message: None)
    parts, names = [], []
    for video in videos:
        clip = cached_track_video(video, cache_dir)
        part = clip_part(clip, np.arange(len(clip.times)))
        if part is None or len(part.frames) < MIN_SPEECH_FRAMES:
            report(f"{Path(video).name}: skipped (too little face with sound)")
            continue
        parts.append(part)
        names.append(Path(video).name)
        report(f"{Path(video).name}: {len(part.frames)} frames")
    if not parts:
        raise UserError("None of the videos has a face and sound to learn speaking from.")
    samples = build_samples(parts, FRAMES_BEFORE, FRAMES_AFTER)
    model = AudioMotionNet()
    explained = model.set_statistics(samples.mel, samples.offsets)
    started = time.monotonic()
    losses = fit(model, samples, steps, PRETRAIN_LEARNING_RATE, seed=seed,
                 progress=lambda step, loss: report(f"step {step}/{steps} loss {loss:.3f}") if step % 250 == 0 else None)
    summary = {"clips": names, "frames": len(samples), "steps": steps, "seconds": round(time.monotonic() - started, 1),
               "final_loss": float(np.mean(losses[-100:])), **explained}
    save_checkpoint(out, {"kind": CHECKPOINT_KIND, **model_state(model), "pretraining": summary})
    return summary


# -- fine-tuning ---------------------------------------------------------------------------------


def fine_tune_steps(frames: int) -> int:
    return int(np.clip(round(frames * FINE_TUNE_STEPS_PER_FRAME), MIN_FINE_TUNE_STEPS, MAX_FINE_TUNE_STEPS))


def load_base() -> tuple[AudioMotionNet, str]:
    """The bundled base model and its file's SHA-256."""
    path = model_path(BASE_MODEL)
    return model_from_state(load_checkpoint(path)), file_sha256(path)


def fine_tune_audio_motion(project: TwinProject, progress: Callable[[int, int, float], None] | None = None,
                           cancel: threading.Event | None = None, steps: int | None = None,
                           seed: int = 0) -> SpeechTrainResult:
    """Fine-tune the base on the project's training frames, its timing measured on their last
    seconds first (speech_timing); writes checkpoints/audio_motion.pt."""
    parts, _, reference = project_parts(project)
    frames = sum(len(p.frames) for p in parts)
    if frames < MIN_SPEECH_FRAMES:
        raise UserError("The footage has too little sound with a face in view for the twin to learn to speak: "
                        "record yourself talking for a minute or more.")
    model, base_sha256 = load_base()
    source = _source(project, base_sha256, seed, steps)
    samples = build_samples(parts, model.config["frames_before"], model.config["frames_after"])
    total = steps or fine_tune_steps(len(samples))
    split = validation_split(parts)
    stages = 2 if split is not None else 1
    started = time.monotonic()

    def fit_stage(stage: int, trained: AudioMotionNet, trained_samples) -> list[float]:
        report = (lambda step, loss: progress(stage * total + step, stages * total, loss)) if progress else None
        losses = fit(trained, trained_samples, total, FINE_TUNE_LEARNING_RATE, seed=seed, cancel=cancel,
                     progress=report)
        if cancel is not None and cancel.is_set():
            raise UserError("Learning to speak was cancelled; the twin keeps what it had.")
        return losses

    timing = _measured_timing(model, split, lambda trial, trial_samples: fit_stage(0, trial, trial_samples))
    losses = fit_stage(stages - 1, model, samples)
    delay_motion(model, timing["delay_rows"])
    path = project.checkpoints_dir / CHECKPOINT
    level = float(np.median([-p.loudness_offset for p in parts]))
    result = SpeechTrainResult(total, len(samples), time.monotonic() - started, path, float(np.mean(losses[-50:])),
                               timing["delay_rows"])
    save_checkpoint(path, {
        "kind": CHECKPOINT_KIND, **model_state(model), "reference_index": int(reference), "speech_level": level,
        "train": {"frames": result.frames, "steps": total, "base_sha256": base_sha256, "timing": timing,
                  "seconds": round(result.seconds, 1), "final_loss": result.final_loss, "source": source},
    })
    return result


def learnt_speech(project: TwinProject, seed: int = 0) -> SpeechTrainResult | None:
    """What the twin already learnt, when its checkpoint came from this very prepared footage, base
    model, seed and version (fitting again would learn the same); None when it should learn again."""
    path = project.checkpoints_dir / CHECKPOINT
    if not path.is_file() or project.manifest.status != "prepared":
        return None
    train = load_checkpoint(path).get("train", {})
    if train.get("source") != _source(project, file_sha256(model_path(BASE_MODEL)), seed, None):
        return None
    return SpeechTrainResult(train["steps"], train["frames"], train["seconds"], path, train["final_loss"],
                             train["timing"]["delay_rows"])


def _source(project: TwinProject, base_sha256: str, seed: int, steps: int | None) -> dict:
    """What a fine-tuned speaking model is a function of."""
    return {"prepared": project.manifest.prepared.prepared.isoformat(), "base_sha256": base_sha256,
            "seed": seed, "steps": steps, "version": __version__}


def _measured_timing(base: AudioMotionNet, split, fit_trial) -> dict:
    """The delay to show the motion with (speech_timing), from a trial copy of the base fitted on
    split[0] and scored on split[1]; none without a split."""
    if split is None:
        return {"delay_rows": 0}
    trial = copy.deepcopy(base)
    fit_trial(trial, build_samples(split[0], trial.config["frames_before"], trial.config["frames_after"]))
    scores = delay_scores(trial, split[1])
    return {"delay_rows": best_delay(scores), "validation_frames": int(sum(len(p.frames) for p in split[1])),
            "validation_correlation": {str(d): round(c, 4) for d, c in scores.items()}}


def load_speech_checkpoint(project: TwinProject) -> dict:
    path = project.checkpoints_dir / CHECKPOINT
    if not path.is_file():
        raise UserError(f"Twin {project.name!r} has not learnt to speak yet: train it "
                        f"({command('train', project.name)}) with footage that has sound.")
    checkpoint = load_checkpoint(path)
    if checkpoint.get("kind") != CHECKPOINT_KIND:
        raise UserError(f"{path} is not an audio-to-motion checkpoint.")
    return checkpoint
