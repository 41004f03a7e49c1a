"""Batches for training: target frame, its sketch, loss weights, and (pretraining) a reference.

Batches are built as uint8 images on the CPU and turned into float tensors on the device
(`to_tensors`): a quarter of the bytes to stack and copy, and the conversion is the GPU's.
Each batch has its own random stream (seed, batch number), so a prefetcher can build
several at once on threads and a run stays reproducible, resumed or not.
"""

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from desktop_twin.face import topology
from desktop_twin.face.metrics import region_mask
from desktop_twin.training.data import PreparedData, augment, random_similarity, resize_crop, sketch_at

_LIPS = np.unique(np.array(topology.LIPS))
_EYES = np.unique(np.array(topology.LEFT_EYE + topology.RIGHT_EYE))
_FACE = np.unique(np.array(topology.FACE_OVAL))
FACE_WEIGHT, EYES_WEIGHT, MOUTH_WEIGHT = 2, 4, 6
WEIGHTS_SCALE = 4  # weight maps are drawn at a quarter of the size: they need no finer edges


@dataclass
class Clip:
    """One person's frames: the data, which frames to train on, and a fixed reference (or None: any frame)."""

    data: PreparedData
    indices: np.ndarray
    reference: int | None = None


def to_chw(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255.0


def loss_weights(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(size, size) uint8: 1 outside the face, more on the face, more on the eyes, most on the mouth."""
    small = size // WEIGHTS_SCALE
    points = landmarks[:, :2] / WEIGHTS_SCALE
    weights = np.ones((small, small), np.uint8)
    weights[region_mask(points, small, _FACE)] = FACE_WEIGHT
    weights[region_mask(points, small, _EYES, grow=0.3)] = EYES_WEIGHT
    weights[region_mask(points, small, _LIPS, grow=0.2)] = MOUTH_WEIGHT
    return cv2.resize(weights, (size, size), interpolation=cv2.INTER_NEAREST)


def frame_sample(data: PreparedData, index: int, size: int, rng: np.random.Generator | None):
    """(image, landmarks) of a frame at size px; moved a little at random when rng is given."""
    landmarks = data.crop_landmarks[index].copy()
    landmarks[:, :2] *= size / data.crop_size
    image = resize_crop(data.crop(index), size)
    if rng is not None:
        image, landmarks = augment(image, landmarks, random_similarity(rng, size))
    return image, landmarks


class BatchSampler:
    """Random training samples from clips. with_reference adds another frame of the same person
    (pretraining); a twin's baked renderer has its reference inside and needs none. clip_weights:
    how often each clip is drawn (uniform when None)."""

    def __init__(self, clips: list[Clip], size: int, seed: int = 0, augmentation: bool = True,
                 with_reference: bool = True, clip_weights: np.ndarray | None = None):
        self.clips = clips
        self.clip_weights = None if clip_weights is None else np.asarray(clip_weights, float) / np.sum(clip_weights)
        self.size = size
        self.seed = seed
        self.augmentation = augmentation
        self.with_reference = with_reference

    def sample(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        clip = self.clips[self._clip_index(rng)]
        index = int(rng.choice(clip.indices))
        image, landmarks = frame_sample(clip.data, index, self.size, rng if self.augmentation else None)
        sample = {"sketch": sketch_at(landmarks, self.size, self.size), "target": image,
                  "weights": loss_weights(landmarks, self.size)}
        if self.with_reference:
            reference = clip.reference if clip.reference is not None else int(rng.choice(clip.indices))
            ref_image, ref_landmarks = frame_sample(clip.data, reference, self.size, None)
            sample |= {"reference_image": ref_image,
                       "reference_sketch": sketch_at(ref_landmarks, self.size, self.size)}
        return sample

    def _clip_index(self, rng: np.random.Generator) -> int:
        if self.clip_weights is None:
            return int(rng.integers(len(self.clips)))
        return int(rng.choice(len(self.clips), p=self.clip_weights))

    def batch(self, count: int, number: int) -> dict[str, np.ndarray]:
        """Batch `number` of this sampler's stream: the same whenever and wherever it is built."""
        rng = np.random.default_rng([self.seed, number])
        samples = [self.sample(rng) for _ in range(count)]
        return {key: np.stack([s[key] for s in samples]) for key in samples[0]}


class Prefetcher:
    """Builds the next batches on threads while the model trains on this one (OpenCV and
    numpy's copies release the GIL). Batches come back in order: batch(n) for n = first, first+1, ...
    A different count (after an out-of-memory halving) drops what was built ahead."""

    def __init__(self, sampler: BatchSampler, first: int, threads: int, ahead: int | None = None):
        self.sampler = sampler
        self.next_number = first
        self.ahead = ahead if ahead is not None else 2 * threads
        self.pool = ThreadPoolExecutor(max(threads, 1), thread_name_prefix="batches")
        self.pending: deque = deque()
        self.count: int | None = None

    def next(self, count: int) -> dict[str, np.ndarray]:
        if count != self.count:
            self._drop_pending()
            self.count = count
        while len(self.pending) < max(self.ahead, 1):
            self.pending.append(self.pool.submit(self.sampler.batch, count, self.next_number + len(self.pending)))
        batch = self.pending.popleft().result()
        self.next_number += 1
        return batch

    def _drop_pending(self) -> None:
        for future in self.pending:
            future.cancel()
        self.pending.clear()

    def close(self) -> None:
        self._drop_pending()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "Prefetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
