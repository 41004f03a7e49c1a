"""Fidelity of a rendered face crop against the real one: PSNR and SSIM inside face masks.

Masks come from the real frame's landmarks in crop pixels: the whole face (the
face oval's hull) and the mouth (the lips' hull, grown by a fifth of the mouth's
width so the skin that moves with it counts too). Plain numpy and OpenCV: the
torch trainer and the ONNX Runtime evaluation share these numbers.
"""

import cv2
import numpy as np

from desktop_twin.face import topology

FACE_OVAL_POINTS = np.unique(np.array(topology.FACE_OVAL))
LIPS_POINTS = np.unique(np.array(topology.LIPS))
METRIC_SIZE = 128  # masks and scores at 128 px, as the project's baselines are quoted


def region_mask(crop_landmarks: np.ndarray, size: int, points: np.ndarray, grow: float = 0.0) -> np.ndarray:
    """Boolean mask of the convex hull of some landmarks (in size px), grown by grow x its width."""
    hull = cv2.convexHull(np.round(crop_landmarks[points, :2]).astype(np.int32))
    mask = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    radius = round(grow * np.ptp(hull[:, 0, 0]))
    if radius > 0:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2))
    return mask.astype(bool)


def face_and_mouth_masks(crop_landmarks: np.ndarray, crop_size: int, size: int = METRIC_SIZE):
    scaled = crop_landmarks[:, :2] * (size / crop_size)
    return region_mask(scaled, size, FACE_OVAL_POINTS), region_mask(scaled, size, LIPS_POINTS, grow=0.2)


def psnr(real: np.ndarray, fake: np.ndarray, mask: np.ndarray) -> float:
    """PSNR in dB over the masked pixels of two uint8 images."""
    difference = real.astype(np.float64)[mask] - fake.astype(np.float64)[mask]
    mse = max(float(np.mean(difference**2)), 1e-10)
    return 10.0 * np.log10(255.0**2 / mse)


def ssim(real: np.ndarray, fake: np.ndarray, mask: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004, Gaussian window 11, sigma 1.5) over the masked pixels, on luma."""
    a = cv2.cvtColor(real, cv2.COLOR_RGB2GRAY).astype(np.float64)
    b = cv2.cvtColor(fake, cv2.COLOR_RGB2GRAY).astype(np.float64)

    def blur(x):
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b, cov = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2, blur(a * b) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim_map[mask].mean())


def fidelity(real_rgb: np.ndarray, fake_rgb: np.ndarray, crop_landmarks: np.ndarray) -> dict[str, float]:
    """psnr, ssim, mouth_psnr and mouth_ssim of one frame, at METRIC_SIZE."""
    crop_size = real_rgb.shape[0]
    real = cv2.resize(real_rgb, (METRIC_SIZE, METRIC_SIZE), interpolation=cv2.INTER_AREA)
    fake = cv2.resize(fake_rgb, (METRIC_SIZE, METRIC_SIZE), interpolation=cv2.INTER_AREA)
    face, mouth = face_and_mouth_masks(crop_landmarks, crop_size)
    return {"psnr": psnr(real, fake, face), "ssim": ssim(real, fake, face),
            "mouth_psnr": psnr(real, fake, mouth), "mouth_ssim": ssim(real, fake, mouth)}
