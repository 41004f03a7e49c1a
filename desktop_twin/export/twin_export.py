"""A trained twin into one .twin file: the renderer as ONNX (checked against torch), the manifest
with measured quality, consent and provenance, and the pictures the live twin needs.

A core job: plain Python with a progress callback; the file appears whole or not at all.
"""

import dataclasses
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin import __version__
from desktop_twin.capture.consent import find_consent
from desktop_twin.capture.footage import file_sha256, iterate_frames
from desktop_twin.errors import UserError, command
from desktop_twin.export.bundle import (
    AUDIO_MOTION_MEMBER, FRAME_MEMBER, MAX_FRAME_SIDE, MAX_THUMBNAIL_SIDE, REFERENCE_MEMBER, RENDERER_MEMBER,
    THUMBNAIL_MEMBER, CanonicalCrop, ConsentInfo, IdleMotion, Provenance, RendererModel, TwinManifest, TwinModels,
    encode_png, write_twin)
from desktop_twin.export.onnx_export import export_renderer
from desktop_twin.export.speaking_export import (
    PARITY_KEY as SPEECH_PARITY_KEY, SpeakingParts, idle_motion, lipsync_quality, speaking_parts)
from desktop_twin.face.align import STABLE_POINTS, STABLE_TEMPLATE
from desktop_twin.resources import model_path
from desktop_twin.store import TwinProject
from desktop_twin.store.manifest import utc_now
from desktop_twin.store.outputs import check_output_file
from desktop_twin.training.baked_state import baked_from_state
from desktop_twin.training.batches import frame_sample, to_chw
from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.data import PreparedData, resize_crop, sketch_at
from desktop_twin.training.evaluate import HELD_OUT, evaluate_twin
from desktop_twin.training.renderer import ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, BakedRenderer
from desktop_twin.training.trainer import BASE_MODEL

STAGES = ("Loading the twin", "Exporting the renderer", "Measuring quality", "Writing the file")
PARITY_SKETCHES = 8
PARITY_KEY = "onnx_max_abs_difference"  # in the manifest's quality
CANCELLED = "Export was cancelled; nothing was written."
MAX_REFERENCE_DRIFT = 2.0  # mean grey levels between the checkpoint's reference and the prepared crop


@dataclass
class ExportProgress:
    stage: str
    done: int  # stages finished
    total: int
    message: str | None = None


@dataclass
class TrainedTwin:
    """What export needs from a project: its best checkpoint and the prepared data it was trained on."""

    checkpoint: dict
    model: BakedRenderer
    data: PreparedData
    reference: int  # the reference frame's index in the prepared data
    held_out: np.ndarray

    @property
    def size(self) -> int:
        return self.model.config["image_size"]


class _Stages:
    """Progress by stage; a cancel takes effect between stages."""

    def __init__(self, progress, cancel: threading.Event | None):
        self.report = progress or (lambda event: None)
        self.cancel = cancel

    def begin(self, index: int, message: str | None = None) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise UserError(CANCELLED)
        self.note(index, message)

    def note(self, done: int, message: str | None) -> None:
        self.report(ExportProgress(STAGES[min(done, len(STAGES) - 1)], done, len(STAGES), message))


def export_twin(project: TwinProject, out_path: Path, progress: Callable[[ExportProgress], None] | None = None,
                cancel: threading.Event | None = None, measure_quality: bool = True) -> Path:
    """Write the project's best twin to out_path (a .twin file) and return the path. With
    measure_quality, the twin and its baselines are scored on the held-out frames (seconds)."""
    out_path = check_output_file(out_path, ".twin", "a twin file")
    stages = _Stages(progress, cancel)
    stages.begin(0)
    twin = load_trained_twin(project)
    stages.begin(1)
    renderer_onnx, difference = exported_renderer(twin)
    stages.note(1, f"ONNX Runtime matches torch within {difference:.2g}.")
    speaking = speaking_parts(project, twin.reference)
    stages.begin(2, speaking.note)
    quality = {PARITY_KEY: difference, **checkpoint_quality(twin.checkpoint)}
    if speaking.parity is not None:
        quality[SPEECH_PARITY_KEY] = speaking.parity
    if measure_quality:
        quality.update(held_out_quality(project, stages))
        if speaking.model is not None:
            quality.update(lipsync_quality(project))
    stages.begin(3)
    frame_rgb, frame_transform = reference_frame(project, twin)
    files = {
        RENDERER_MEMBER: renderer_onnx,
        REFERENCE_MEMBER: encode_png(reference_crop(twin)),
        FRAME_MEMBER: encode_png(frame_rgb),
        THUMBNAIL_MEMBER: encode_png(thumbnail(twin)),
    }
    if speaking.onnx is not None:
        files[AUDIO_MOTION_MEMBER] = speaking.onnx
    write_twin(out_path, build_manifest(project, twin, frame_transform, quality, speaking, idle_motion(project)),
               files)
    stages.note(len(STAGES), f"Wrote {out_path}.")
    return out_path


# -- the trained twin --------------------------------------------------------------------------


def load_trained_twin(project: TwinProject) -> TrainedTwin:
    path = project.checkpoints_dir / "best.pt"
    if not path.is_file():
        raise UserError(f"Twin {project.name!r} has no trained model yet: train it first "
                        f"({command('train', project.name)}).")
    if project.manifest.status != "prepared":
        raise UserError(_changed_footage_message(project))
    checkpoint = load_checkpoint(path)
    model = baked_from_state(checkpoint["model"]).eval()
    data = PreparedData.load(project.prepared_dir)
    train_indices, held_out = data.held_out_split()
    reference = (model.reference or {}).get("index")
    if reference is None:
        reference = data.reference_index(train_indices)  # as the trainer chose it
    twin = TrainedTwin(checkpoint, model, data, int(reference), held_out)
    _check_trained_on_this_data(twin, project)
    return twin


def _check_trained_on_this_data(twin: TrainedTwin, project: TwinProject) -> None:
    """The checkpoint's reference crop must be the prepared crop it names: otherwise the footage was
    prepared again since training, and the landmarks and frame exported would not be the twin's."""
    trained_on = twin.checkpoint.get("train", {}).get("footage_sha256")
    if trained_on is not None and trained_on != [entry.sha256 for entry in project.manifest.footage]:
        raise UserError(_changed_footage_message(project))  # footage added or removed since
    saved = (twin.model.reference or {}).get("image")
    if saved is None:
        return
    if not 0 <= twin.reference < len(twin.data.has_face):
        raise UserError(_changed_footage_message(project))
    current = frame_sample(twin.data, twin.reference, twin.size, None)[0]
    if current.shape != saved.shape or np.abs(current.astype(np.float32) - saved).mean() > MAX_REFERENCE_DRIFT:
        raise UserError(_changed_footage_message(project))


def _changed_footage_message(project: TwinProject) -> str:
    return (f"Twin {project.name!r}'s footage changed since it was trained. Prepare and train it again "
            f"({command('prepare', project.name)}, then {command('train', project.name)}).")


def exported_renderer(twin: TrainedTwin) -> tuple[bytes, float]:
    """The ONNX model's bytes and its largest difference from torch on the twin's own sketches."""
    with tempfile.TemporaryDirectory(prefix="desktop-twin-export-") as folder:
        onnx_path = Path(folder) / "renderer.onnx"
        difference = export_renderer(twin.model, onnx_path, parity_sketches(twin))
        return onnx_path.read_bytes(), difference


def parity_sketches(twin: TrainedTwin) -> np.ndarray:
    """Sketches of a few held-out frames (training frames if none is held out), spread over them."""
    frames = twin.held_out if len(twin.held_out) else np.flatnonzero(twin.data.has_face)
    chosen = frames[np.linspace(0, len(frames) - 1, min(PARITY_SKETCHES, len(frames))).astype(int)]
    crop_size = twin.data.crop_size
    return np.stack([to_chw(sketch_at(twin.data.crop_landmarks[i], crop_size, twin.size)) for i in chosen])


# -- quality -----------------------------------------------------------------------------------


def checkpoint_quality(checkpoint: dict) -> dict:
    """The held-out scores the trainer measured when it kept this checkpoint."""
    best = checkpoint.get("best")
    return {"training_held_out": {k: v if isinstance(v, int) else float(v) for k, v in best.items()}} if best else {}


def held_out_quality(project: TwinProject, stages: _Stages) -> dict:
    """The twin and both baselines on every held-out frame (evaluate_twin), or nothing when they
    cannot be scored (the file is still useful; the progress report says why)."""
    try:
        result = evaluate_twin(project, HELD_OUT, cancel=stages.cancel)
    except UserError as error:
        if stages.cancel is not None and stages.cancel.is_set():
            raise UserError(CANCELLED) from None
        stages.note(2, f"Quality not measured: {error}")
        return {}
    return {"held_out": {"frames": result["frames"], "image_size": result["image_size"],
                         "twin": result["twin"], **result["baselines"]}}


# -- pictures and geometry ---------------------------------------------------------------------


def reference_crop(twin: TrainedTwin) -> np.ndarray:
    saved = (twin.model.reference or {}).get("image")
    return saved if saved is not None else frame_sample(twin.data, twin.reference, twin.size, None)[0]


def thumbnail(twin: TrainedTwin) -> np.ndarray:
    crop = twin.data.crop(twin.reference)
    return resize_crop(crop, MAX_THUMBNAIL_SIDE) if crop.shape[0] > MAX_THUMBNAIL_SIDE else crop


def reference_frame(project: TwinProject, twin: TrainedTwin) -> tuple[np.ndarray, np.ndarray]:
    """The full footage frame the reference crop was cut from (RGB, long side <= MAX_FRAME_SIDE), and
    the 2x3 matrix taking its pixels into the canonical crop."""
    track = np.load(project.prepared_dir / "track.npz")
    footage = project.manifest.footage[int(track["footage_index"][twin.reference])]
    frame_index = int(track["frame_index"][twin.reference])
    frame = _frame_at(project.footage_dir / footage.file, frame_index)
    if frame is None:
        raise UserError(f"Frame {frame_index} of {footage.file} can no longer be read: "
                        f"prepare and train the twin again.")
    small, to_full = downscaled(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), MAX_FRAME_SIDE)
    crop_transform = track["crop_transform"][twin.reference].astype(np.float64)
    return small, compose(crop_transform, to_full)


def _frame_at(video: Path, index: int) -> np.ndarray | None:
    # Decoded in order up to the frame: seeking is frame-accurate for few codecs.
    return next((frame for i, frame in enumerate(iterate_frames(video)) if i == index), None)


def downscaled(image: np.ndarray, max_side: int) -> tuple[np.ndarray, np.ndarray]:
    """The image with its long side at most max_side, and the 2x3 matrix from its pixels to the original's."""
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale == 1.0:
        return image, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    sx, sy = size[0] / width, size[1] / height
    # Pixel centres: small pixel i covers original pixels [i / s, (i + 1) / s), centred at (i + 0.5) / s - 0.5.
    return small, np.array([[1 / sx, 0.0, 0.5 / sx - 0.5], [0.0, 1 / sy, 0.5 / sy - 0.5]])


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2x3 affine that applies inner, then outer."""
    return np.hstack([outer[:, :2] @ inner[:, :2], outer[:, :2] @ inner[:, 2:] + outer[:, 2:]])


# -- the manifest ------------------------------------------------------------------------------


def build_manifest(project: TwinProject, twin: TrainedTwin, frame_transform: np.ndarray, quality: dict,
                   speaking: SpeakingParts | None = None, idle: IdleMotion | None = None) -> TwinManifest:
    consent = find_consent(project.recordings_dir)
    return TwinManifest(
        name=project.name,
        created=utc_now(),
        app_version=__version__,
        models=TwinModels(renderer=RendererModel(input=ONNX_INPUT, output=ONNX_OUTPUT, size=twin.size,
                                                 opset=ONNX_OPSET),
                          audio_motion=speaking.model if speaking is not None else None),
        canonical=CanonicalCrop(size=twin.data.crop_size, stable_points=STABLE_POINTS.tolist(),
                                template=STABLE_TEMPLATE.tolist()),
        neutral_landmarks=np.round(twin.data.crop_landmarks[twin.reference].astype(np.float64), 3).tolist(),
        frame_transform=frame_transform.tolist(),
        quality=quality,
        consent=ConsentInfo(**dataclasses.asdict(consent)) if consent else None,
        provenance=provenance(project, twin.checkpoint),
        idle=idle,
    )


def provenance(project: TwinProject, checkpoint: dict) -> Provenance:
    train = checkpoint.get("train", {})
    # Checkpoints name the base they started from; older ones fall back to the bundled file.
    base = "scratch" if train.get("from_scratch") else train.get("base_sha256") or file_sha256(model_path(BASE_MODEL))
    return Provenance(base_model=base, footage_sha256=list(project.manifest.prepared.footage_sha256),
                      steps=int(checkpoint.get("step", 0)), preset=str(train.get("preset", "unknown")))
