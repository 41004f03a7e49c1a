"""What a .twin needs to speak: the audio-to-motion model as ONNX, and the person's idle motion.

A twin whose footage taught it no speech (no sound, or trained before twins spoke) is still
exported, without the model: the live twin then follows faces only. The idle motion (blinks,
head drift) is measured from the prepared footage every time.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_twin.errors import UserError
from desktop_twin.export.audio_motion_export import export_audio_motion
from desktop_twin.export.bundle import AudioMotionModel, HeadMotion, IdleMotion
from desktop_twin.store import TwinProject
from desktop_twin.training.audio_motion import ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, model_from_state
from desktop_twin.training.idle_statistics import idle_statistics
from desktop_twin.training.lipsync import evaluate_lipsync
from desktop_twin.training.motion_features import MAX_BOOST, MOUTH_JAW_POINTS
from desktop_twin.training.motion_samples import build_samples
from desktop_twin.training.speech_training import CHECKPOINT, load_speech_checkpoint, project_parts

PARITY_WINDOWS = 8
PARITY_KEY = "audio_motion_onnx_max_abs_difference"  # in the manifest's quality


@dataclass
class SpeakingParts:
    onnx: bytes | None  # models/audio_motion.onnx, None when the twin cannot speak
    model: AudioMotionModel | None
    parity: float | None  # largest ONNX Runtime - torch difference, eye distances
    note: str  # for the progress report: what happened


def speaking_parts(project: TwinProject, reference: int) -> SpeakingParts:
    """The exported audio-to-motion model, when the project has one trained on the twin's own neutral face."""
    if not (project.checkpoints_dir / CHECKPOINT).is_file():
        return SpeakingParts(None, None, None, "The twin has not learnt to speak (no speech model trained); "
                                               "it will follow faces only.")
    checkpoint = load_speech_checkpoint(project)
    if int(checkpoint.get("reference_index", -1)) != int(reference):
        return SpeakingParts(None, None, None, "The speech model was trained on other footage than the renderer; "
                                               "train the twin again to let it speak.")
    model = model_from_state(checkpoint).eval()
    windows = parity_windows(project, model)
    with tempfile.TemporaryDirectory(prefix="desktop-twin-export-") as folder:
        path = Path(folder) / "audio_motion.onnx"
        difference = export_audio_motion(model, path, windows)
        onnx_bytes = path.read_bytes()
    entry = AudioMotionModel(input=ONNX_INPUT, output=ONNX_OUTPUT, opset=ONNX_OPSET,
                             frames_before=model.config["frames_before"], frames_after=model.config["frames_after"],
                             points=MOUTH_JAW_POINTS.tolist(), speech_level=float(checkpoint["speech_level"]),
                             max_boost=MAX_BOOST)
    return SpeakingParts(onnx_bytes, entry, difference,
                         f"The speech model's ONNX Runtime matches torch within {difference:.2g}.")


def parity_windows(project: TwinProject, model) -> np.ndarray:
    """A few real audio windows of the twin's footage, spread over it."""
    parts, _, _ = project_parts(project)
    samples = build_samples(parts, model.config["frames_before"], model.config["frames_after"])
    chosen = np.linspace(0, len(samples) - 1, min(PARITY_WINDOWS, len(samples))).astype(int)
    return samples.windows(chosen)


def idle_motion(project: TwinProject) -> IdleMotion:
    """Blink and head-motion statistics of all the prepared frames with a face."""
    with np.load(project.prepared_dir / "track.npz") as track:
        stats = idle_statistics(track["crop_landmarks"], track["crop_transform"], track["time_seconds"],
                                track["footage_index"], track["has_face"], project.manifest.prepared.crop_size)
    return IdleMotion(head=HeadMotion(**stats.pop("head")), **stats)


def lipsync_quality(project: TwinProject) -> dict:
    """Lip-sync figures on the held-out frames (training.lipsync), or nothing when they cannot be had."""
    try:
        return {"lipsync": evaluate_lipsync(project)}
    except UserError:
        return {}
