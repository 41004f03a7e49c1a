"""Pretraining data: many people's aligned face crops, packed into one compact file.

A pack holds JPEG crops and their landmarks for each clip (a video or a photo), so a
base-model run can be moved to a GPU machine in one file and read without the face
pipeline (desktop_twin.training.pack_builder makes packs). Clips look like
PreparedData to the batch sampler: `crop(i)`, `crop_landmarks`, `crop_size`.
"""

from pathlib import Path

import cv2
import numpy as np

PACK_SIZE = 256


class PackedClip:
    """One person's frames in a pack, decoded on demand."""

    def __init__(self, jpegs: list[np.ndarray], crop_landmarks: np.ndarray):
        self.jpegs = jpegs
        self.crop_landmarks = crop_landmarks.astype(np.float32)
        self.crop_size = PACK_SIZE

    def crop(self, index: int) -> np.ndarray:
        return cv2.cvtColor(cv2.imdecode(self.jpegs[index], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def load_pack(path: Path) -> list[PackedClip]:
    pack = np.load(path)
    ends = np.cumsum(pack["jpeg_sizes"])
    blobs = np.split(pack["jpeg_bytes"], ends[:-1])
    clips, start = [], 0
    for size in pack["clip_sizes"]:
        clips.append(PackedClip(blobs[start:start + size], pack["crop_landmarks"][start:start + size]))
        start += size
    return clips
