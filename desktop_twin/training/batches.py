"""Batches for training: target frame, its sketch, a reference of the same person, loss weights."""

from dataclasses import dataclass

import numpy as np

from desktop_twin.face import topology
from desktop_twin.face.metrics import region_mask
from desktop_twin.training.data import PreparedData, augment, random_similarity, resize_crop, sketch_at

_LIPS = np.unique(np.array(topology.LIPS))
_EYES = np.unique(np.array(topology.LEFT_EYE + topology.RIGHT_EYE))
_FACE = np.unique(np.array(topology.FACE_OVAL))
FACE_WEIGHT, EYES_WEIGHT, MOUTH_WEIGHT = 2.0, 4.0, 6.0


@dataclass
class Clip:
    """One person's frames: the data, which frames to train on, and a fixed reference (or None: any frame)."""

    data: PreparedData
    indices: np.ndarray
    reference: int | None = None


def to_chw(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255.0


def loss_weights(landmarks: np.ndarray, size: int) -> np.ndarray:
    weights = np.ones((size, size), np.float32)
    weights[region_mask(landmarks, size, _FACE)] = FACE_WEIGHT
    weights[region_mask(landmarks, size, _EYES, grow=0.3)] = EYES_WEIGHT
    weights[region_mask(landmarks, size, _LIPS, grow=0.2)] = MOUTH_WEIGHT
    return weights[None]


def frame_sample(data: PreparedData, index: int, size: int, rng: np.random.Generator | None):
    """(image, landmarks) of a frame at size px; moved a little at random when rng is given."""
    landmarks = data.crop_landmarks[index].copy()
    landmarks[:, :2] *= size / data.crop_size
    image = resize_crop(data.crop(index), size)
    if rng is not None:
        image, landmarks = augment(image, landmarks, random_similarity(rng, size))
    return image, landmarks


class BatchSampler:
    def __init__(self, clips: list[Clip], size: int, seed: int = 0, augmentation: bool = True):
        self.clips = clips
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.augmentation = augmentation

    def sample(self) -> dict[str, np.ndarray]:
        clip = self.clips[self.rng.integers(len(self.clips))]
        index = int(self.rng.choice(clip.indices))
        reference = clip.reference if clip.reference is not None else int(self.rng.choice(clip.indices))
        rng = self.rng if self.augmentation else None
        image, landmarks = frame_sample(clip.data, index, self.size, rng)
        ref_image, ref_landmarks = frame_sample(clip.data, reference, self.size, None)
        return {
            "sketch": to_chw(sketch_at(landmarks, self.size, self.size)),
            "target": to_chw(image),
            "weights": loss_weights(landmarks, self.size),
            "reference_image": to_chw(ref_image),
            "reference_sketch": to_chw(sketch_at(ref_landmarks, self.size, self.size)),
        }

    def batch(self, count: int) -> dict[str, np.ndarray]:
        samples = [self.sample() for _ in range(count)]
        return {key: np.stack([s[key] for s in samples]) for key in samples[0]}
