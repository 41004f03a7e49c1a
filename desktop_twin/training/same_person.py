"""Does footage show one person? The identity network's distances between frames and the reference."""

import cv2
import numpy as np
import torch

from desktop_twin.training.data import PreparedData
from desktop_twin.training.evaluate import identity_chip_box
from desktop_twin.training.identity import INPUT_SIZE, SAME_PERSON_THRESHOLD, identity_distance, load_identity_network

FRAMES_CHECKED = 16
MAX_STRANGER_FRACTION = 0.25  # a few odd frames (a hand, a blink) are fine; a quarter is another person


@torch.no_grad()
def stranger_fraction(data: PreparedData, indices: np.ndarray, reference: int) -> float:
    """Share of evenly spread frames whose face is not the reference's person (dlib's 0.6 threshold)."""
    chosen = indices[np.linspace(0, len(indices) - 1, min(FRAMES_CHECKED, len(indices))).astype(int)]
    left, top, side = (value * data.crop_size for value in identity_chip_box())
    scale = INPUT_SIZE / side
    matrix = np.array([[scale, 0.0, -left * scale], [0.0, scale, -top * scale]])
    chips = np.stack([cv2.warpAffine(data.crop(int(i)), matrix, (INPUT_SIZE, INPUT_SIZE))
                      for i in [reference, *chosen]])
    network = load_identity_network()
    descriptors = network.embed(torch.from_numpy(chips).permute(0, 3, 1, 2).float() / 255.0)
    distances = identity_distance(descriptors[:1].expand(len(chosen), -1), descriptors[1:])
    return float((distances > SAME_PERSON_THRESHOLD).float().mean())


def is_one_person(data: PreparedData, indices: np.ndarray, reference: int) -> bool:
    return stranger_fraction(data, indices, reference) <= MAX_STRANGER_FRACTION
