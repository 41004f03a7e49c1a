"""Training data from a prepared twin project: crops, their landmarks, and the held-out split."""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.errors import UserError, command
from desktop_twin.face.sketch import draw_sketch

MIN_TRAIN_FRAMES = 100
HELD_OUT_SECONDS_LONG = 15.0  # held out from footage of a minute or more
HELD_OUT_FRACTION_SHORT = 0.2  # and this share of shorter footage


@dataclass
class PreparedData:
    """The prepared/ folder of a project, crops memory-mapped so minutes of footage fit anywhere."""

    chunks: list[np.ndarray]
    chunk_frames: int
    crop_landmarks: np.ndarray  # (frames, 478, 3) in crop pixels, NaN without a face
    has_face: np.ndarray
    time_seconds: np.ndarray
    footage_index: np.ndarray

    @classmethod
    def load(cls, prepared_dir: Path) -> "PreparedData":
        track_path = Path(prepared_dir) / "track.npz"
        if not track_path.is_file():
            raise UserError(f"This twin's footage is not prepared yet. Run: "
                            f"{command('prepare', Path(prepared_dir).parent.name)}")
        track = np.load(track_path)
        chunks = [np.load(p, mmap_mode="r") for p in sorted((Path(prepared_dir) / "crops").glob("*.npy"))]
        return cls(chunks, len(chunks[0]), track["crop_landmarks"], track["has_face"],
                   track["time_seconds"], track["footage_index"])

    @property
    def crop_size(self) -> int:
        return self.chunks[0].shape[1]

    def crop(self, index: int) -> np.ndarray:
        """RGB uint8 crop of one frame."""
        return np.asarray(self.chunks[index // self.chunk_frames][index % self.chunk_frames])

    def held_out_split(self) -> tuple[np.ndarray, np.ndarray]:
        """Frames with a face to train on, and those held out: the last seconds of the last footage."""
        last = self.footage_index == self.footage_index.max()
        end = self.time_seconds[last].max()
        duration = float(sum(self.time_seconds[self.footage_index == i].max() for i in np.unique(self.footage_index)))
        held_seconds = HELD_OUT_SECONDS_LONG if duration >= 60.0 else HELD_OUT_FRACTION_SHORT * duration
        held = last & (self.time_seconds > end - held_seconds)
        train_indices = np.flatnonzero(self.has_face & ~held)
        if len(train_indices) < MIN_TRAIN_FRAMES:
            raise UserError(f"Only {len(train_indices)} usable frames with a face: record at least "
                            f"{MIN_TRAIN_FRAMES // 25 + 10} seconds of yourself facing the camera.")
        return train_indices, np.flatnonzero(self.has_face & held)

    def reference_index(self, train_indices: np.ndarray) -> int:
        """The most typical training frame (landmarks nearest the median face): the twin's reference look."""
        landmarks = self.crop_landmarks[train_indices, :, :2]
        distance = np.nanmean(np.linalg.norm(landmarks - np.nanmedian(landmarks, axis=0), axis=-1), axis=1)
        return int(train_indices[np.nanargmin(distance)])


def sketch_at(crop_landmarks: np.ndarray, crop_size: int, size: int) -> np.ndarray:
    """The landmark sketch of a frame at a training resolution."""
    return draw_sketch(crop_landmarks[:, :2] * (size / crop_size), size)


def resize_crop(crop: np.ndarray, size: int) -> np.ndarray:
    if crop.shape[0] == size:
        return crop
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def random_similarity(rng: np.random.Generator, size: int, strength: float = 1.0) -> np.ndarray:
    """A small random shift, scale and rotation about the crop's centre (augmentation), 2x3."""
    angle = rng.uniform(-5, 5) * strength
    scale = 1.0 + rng.uniform(-0.05, 0.05) * strength
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    matrix[:, 2] += rng.uniform(-0.04, 0.04, 2) * size * strength
    return matrix


def augment(crop: np.ndarray, landmarks: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move an image and its landmarks together, so the sketch still describes the image."""
    size = crop.shape[0]
    moved = cv2.warpAffine(crop, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    points = landmarks.copy()
    points[:, :2] = landmarks[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    return moved, points
