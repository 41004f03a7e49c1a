"""How good is a trained twin? Drive it with real footage's own landmarks and compare with the real frames.

Every frame is scored three times, on the same crop and masks: the twin, and two
baselines that give its numbers a scale. `mean_frame` is the mean of the twin's
training crops, a blur that knows nothing of the frame. `nearest_landmarks` is
the training crop whose landmarks are nearest the frame's: a real frame of the
same person in about the same pose and mouth shape. A twin that does not beat
the mean frame has learnt nothing; one that beats the nearest training frame
does better than looking frames up.

Scores per frame: PSNR and SSIM inside the face and the mouth (face.metrics, at
128 px); the distance between dlib identity descriptors of real and rendered
faces (below 0.6 is the same person by dlib's convention); and how far the face
mesh, run again on the rendering, finds the landmarks that drove it (at 256 px).
"""

import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from desktop_twin.capture.footage import probe_video
from desktop_twin.errors import UserError, command, write_failure
from desktop_twin.face.align import STABLE_POINTS, STABLE_TEMPLATE
from desktop_twin.face.mesh import FaceMesh, roi_from_landmarks
from desktop_twin.face.metrics import LIPS_POINTS, fidelity
from desktop_twin.face.aligned_frames import aligned_video_frames
from desktop_twin.store import TwinProject
from desktop_twin.training.baked_state import baked_from_state
from desktop_twin.training.batches import frame_sample, to_chw
from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.data import PreparedData, resize_crop, sketch_at
from desktop_twin.training.devices import choose_device
from desktop_twin.training.evaluation import to_uint8
from desktop_twin.training.identity import CHIP_EYES, INPUT_SIZE, identity_distance, load_identity_network

HELD_OUT = "held-out"  # in place of a footage file: the project's own held-out frames
METRICS = ("psnr", "ssim", "mouth_psnr", "mouth_ssim", "identity_distance",
           "landmark_error_px", "mouth_landmark_error_px")
CANDIDATES = ("twin", "mean_frame", "nearest_landmarks")
LANDMARK_SIZE = 256  # the rendering is upscaled to this before the face mesh looks at it
BATCH_FRAMES = 16
SAMPLE_COUNT = 4


@dataclass
class EvaluateProgress:
    frames_done: int
    frames_total: int


@dataclass
class EvalFrame:
    """A real frame in the canonical crop at the twin's image size."""

    position: int  # among the frames asked for, faceless ones included: for progress
    time_seconds: float
    real: np.ndarray  # RGB uint8
    landmarks: np.ndarray  # (478, 3) in crop pixels at the image size


def evaluate_twin(project: TwinProject, footage: str | Path, start: float | None = None,
                  end: float | None = None, progress: Callable[[EvaluateProgress], None] | None = None,
                  cancel: threading.Event | None = None, samples_dir: Path | None = None) -> dict:
    """Scores of the twin in project.checkpoints_dir/best.pt and of both baselines, averaged over the
    frames of `footage` (a video file, or HELD_OUT) between start and end seconds that show a face.
    With samples_dir, PNG strips (real | twin | nearest landmarks) of a few frames are written there."""
    if start is not None and end is not None and end <= start:
        raise UserError(f"--end ({end:g} s) must come after --start ({start:g} s).")
    if samples_dir is not None and Path(samples_dir).exists() and not Path(samples_dir).is_dir():
        raise UserError(f"Cannot put the sample images in {samples_dir}: it is a file. Choose another folder.")
    checkpoint_path = project.checkpoints_dir / "best.pt"
    model, step = load_twin(checkpoint_path, project.name)
    size = model.config["image_size"]
    data = PreparedData.load(project.prepared_dir)
    train_indices, held_out = data.held_out_split()
    baselines = Baselines(data, train_indices, size)
    frames, total = frame_source(data, held_out, footage, start, end, size)
    scorer = FrameScorer(size)
    scores = {name: [] for name in CANDIDATES}
    sampler = SampleKeeper(total)
    evaluated = 0
    for batch in batched(frames, BATCH_FRAMES):
        if cancel is not None and cancel.is_set():
            raise UserError("Evaluation was cancelled.")
        renderings = {"twin": render_twin(model, batch), **baselines.renderings(batch)}
        for name, batch_scores in scorer.score_batch(batch, renderings).items():
            scores[name] += batch_scores
        sampler.offer(batch, renderings)
        evaluated += len(batch)
        if progress is not None:
            progress(EvaluateProgress(batch[-1].position + 1, max(total, batch[-1].position + 1)))
    if evaluated == 0:
        raise UserError(no_face_message(footage, start, end))
    result = {
        "frames": evaluated,
        "footage": str(footage),
        "start": start, "end": end, "image_size": size,
        "twin": mean_scores(scores["twin"]),
        "baselines": {name: mean_scores(scores[name]) for name in CANDIDATES[1:]},
        "checkpoint": str(checkpoint_path), "step": step,
    }
    if samples_dir is not None:
        result["samples"] = [str(p) for p in write_samples(Path(samples_dir), sampler.samples)]
    return result


# -- the twin and the baselines ---------------------------------------------------------------


def load_twin(checkpoint_path: Path, name: str):
    """The baked renderer in a checkpoint, in eval mode, and the step it was saved at."""
    if not checkpoint_path.is_file():
        raise UserError(f"Twin {name!r} has no trained model yet: train it first ({command('train', name)}).")
    checkpoint = load_checkpoint(checkpoint_path)
    model = baked_from_state(checkpoint["model"]).to(choose_device("auto")).eval()
    return model, int(checkpoint.get("step", 0))


@torch.no_grad()
def render_twin(model, batch: list[EvalFrame]) -> list[np.ndarray]:
    """The twin's rendering of each frame, driven by the frame's own landmark sketch."""
    size = model.config["image_size"]
    sketches = np.stack([to_chw(sketch_at(f.landmarks, size, size)) for f in batch])
    device = next(model.parameters()).device
    return [to_uint8(image) for image in model(torch.from_numpy(sketches).to(device))]


class Baselines:
    """What the twin must beat, built from its training crops only (never the held-out ones)."""

    def __init__(self, data: PreparedData, train_indices: np.ndarray, size: int):
        self.data, self.train_indices, self.size = data, train_indices, size
        self.train_landmarks = data.crop_landmarks[train_indices, :, :2].astype(np.float32) * (size / data.crop_size)
        self.mean_frame = mean_crop(data, train_indices, size)

    def nearest_crop(self, landmarks: np.ndarray) -> np.ndarray:
        """The training crop whose landmarks lie nearest (mean point distance; crops are already aligned)."""
        distance = np.linalg.norm(self.train_landmarks - landmarks[:, :2], axis=-1).mean(axis=1)
        return resize_crop(self.data.crop(int(self.train_indices[np.argmin(distance)])), self.size)

    def renderings(self, batch: list[EvalFrame]) -> dict[str, list[np.ndarray]]:
        return {"mean_frame": [self.mean_frame] * len(batch),
                "nearest_landmarks": [self.nearest_crop(f.landmarks) for f in batch]}


def mean_crop(data: PreparedData, indices: np.ndarray, size: int) -> np.ndarray:
    total = np.zeros((data.crop_size, data.crop_size, 3), np.float64)
    for index in indices:
        total += data.crop(int(index))
    return resize_crop(np.round(total / len(indices)).astype(np.uint8), size)


# -- frames to evaluate ------------------------------------------------------------------------


def frame_source(data, held_out, footage, start, end, size) -> tuple[Iterator[EvalFrame], int]:
    """The frames to evaluate (faceless ones skipped) and how many frames progress counts through."""
    if footage == HELD_OUT:
        times = data.time_seconds[held_out]
        chosen = held_out[(times >= (start or 0.0)) & (times <= (np.inf if end is None else end))]
        return held_out_frames(data, chosen, size), len(chosen)
    path = Path(footage)
    info = probe_video(path)
    first = max(0, round((start or 0.0) * info.fps))
    if first >= info.frames:
        raise UserError(f"{path.name} lasts {info.duration_seconds:.1f} s: --start {start:g} is past its end.")
    # Without --end, read to the last decodable frame: containers often miscount their frames.
    last = math.inf if end is None else round(end * info.fps)
    total = min(info.frames, last) - first
    return footage_frames(path, info.fps, first, last, data.crop_size, size), max(total, 1)


def held_out_frames(data: PreparedData, indices: np.ndarray, size: int) -> Iterator[EvalFrame]:
    for position, index in enumerate(indices):
        real, landmarks = frame_sample(data, int(index), size, None)
        yield EvalFrame(position, float(data.time_seconds[index]), real, landmarks)


def footage_frames(path: Path, fps: float, first: int, last: float, crop_size: int, size: int) -> Iterator[EvalFrame]:
    """Frames of a video cut as prepare cuts them, then resized as for training, so a prepared
    frame and the same frame read from its video give the same crop."""
    for frame in aligned_video_frames(path, fps, first, last, crop_size):
        landmarks = frame.crop_landmarks.copy()
        landmarks[:, :2] *= size / crop_size
        yield EvalFrame(frame.index - first, frame.time_seconds, resize_crop(frame.crop_rgb, size), landmarks)


def batched(frames: Iterator[EvalFrame], count: int) -> Iterator[list[EvalFrame]]:
    batch = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == count:
            yield batch
            batch = []
    if batch:
        yield batch


def no_face_message(footage, start, end) -> str:
    where = "the held-out frames" if footage == HELD_OUT else Path(footage).name
    if start is not None or end is not None:
        where += f" between {start or 0:g} s and {'the end' if end is None else f'{end:g} s'}"
    return f"No face was found in {where}: nothing to compare the twin with."


# -- scores ------------------------------------------------------------------------------------


def identity_chip_box() -> tuple[float, float, float]:
    """(left, top, side) of dlib's face chip within the canonical crop, as fractions of the crop's side.

    The canonical crop pins the eye corners to template positions, so one fixed square of every
    crop puts the eye centres (midpoints of each eye's corners) where dlib's chip puts them. The
    mouth is left where the person's face puts it, as in dlib's chip, which is also cut by the eyes
    and nose."""
    template = dict(zip(STABLE_POINTS.tolist(), STABLE_TEMPLATE))
    right_eye, left_eye = (template[33] + template[133]) / 2, (template[362] + template[263]) / 2
    chip_right, chip_left = np.asarray(CHIP_EYES)
    side = np.linalg.norm(left_eye - right_eye) / np.linalg.norm(chip_left - chip_right)
    left, top = (right_eye + left_eye) / 2 - side * (chip_right + chip_left) / 2
    return float(left), float(top), float(side)


class FrameScorer:
    """All METRICS of renderings against the real frames they stand for."""

    def __init__(self, size: int):
        self.size = size
        self.identity = load_identity_network()
        self.mesh = FaceMesh()
        left, top, side = (value * size for value in identity_chip_box())
        scale = INPUT_SIZE / side
        self.chip_matrix = np.array([[scale, 0.0, -left * scale], [0.0, scale, -top * scale]])

    def score_batch(self, batch: list[EvalFrame], renderings: dict[str, list[np.ndarray]]) -> dict[str, list[dict]]:
        real_identity = self.embed([f.real for f in batch])
        scores = {}
        for name, images in renderings.items():
            distances = identity_distance(real_identity, self.embed(images)).tolist()
            scores[name] = [{**fidelity(f.real, image, f.landmarks), "identity_distance": distance,
                             **self.landmark_errors(image, f.landmarks)}
                            for f, image, distance in zip(batch, images, distances)]
        return scores

    @torch.no_grad()
    def embed(self, images: list[np.ndarray]) -> torch.Tensor:
        """Identity descriptors (len(images), 128) of the chips cut from each image."""
        if len(images) > 1 and all(image is images[0] for image in images):
            return self.embed(images[:1]).expand(len(images), -1)  # the mean frame: embedded once
        chips = np.stack([cv2.warpAffine(image, self.chip_matrix, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR)
                          for image in images])
        return self.identity.embed(torch.from_numpy(chips).permute(0, 3, 1, 2).float() / 255.0)

    def landmark_errors(self, rendering: np.ndarray, landmarks: np.ndarray) -> dict[str, float]:
        """Mean distance (px at LANDMARK_SIZE) from the landmarks that drove a rendering to those the
        face mesh finds in it, over the whole mesh and over the lips."""
        upscaled = cv2.resize(rendering, (LANDMARK_SIZE, LANDMARK_SIZE), interpolation=cv2.INTER_CUBIC)
        driving = landmarks[:, :2] * (LANDMARK_SIZE / self.size)
        found = self.mesh.predict(cv2.cvtColor(upscaled, cv2.COLOR_RGB2BGR), roi_from_landmarks(driving))
        distance = np.linalg.norm(found.landmarks[:, :2] - driving, axis=1)
        return {"landmark_error_px": float(distance.mean()),
                "mouth_landmark_error_px": float(distance[LIPS_POINTS].mean())}


def mean_scores(frame_scores: list[dict]) -> dict[str, float]:
    return {key: float(np.mean([s[key] for s in frame_scores])) for key in METRICS}


# -- sample images -----------------------------------------------------------------------------


class SampleKeeper:
    """A few frames spread over the evaluation, kept as they stream past."""

    def __init__(self, total: int, count: int = SAMPLE_COUNT):
        self.wanted = set(np.linspace(0, max(total - 1, 0), min(count, max(total, 1))).astype(int).tolist())
        self.samples: list[tuple[float, list[np.ndarray]]] = []

    def offer(self, batch: list[EvalFrame], renderings: dict[str, list[np.ndarray]]) -> None:
        for offset, frame in enumerate(batch):
            if frame.position in self.wanted:
                self.samples.append((frame.time_seconds, [frame.real, renderings["twin"][offset],
                                                          renderings["nearest_landmarks"][offset]]))


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"Cannot make the folder {folder} for the sample images: {write_failure(error)}") from None


def write_samples(folder: Path, samples: list[tuple[float, list[np.ndarray]]]) -> list[Path]:
    """One PNG per frame: real | twin | nearest-landmarks baseline, named by the frame's time."""
    _make_folder(folder)
    paths = []
    for time_seconds, images in samples:
        path = folder / f"evaluate_{time_seconds:08.2f}s.png"
        if not cv2.imwrite(str(path), cv2.cvtColor(np.hstack(images), cv2.COLOR_RGB2BGR)):
            raise UserError(f"Cannot write {path}.")
        paths.append(path)
    return paths
