"""The person's own idle motion, measured on their footage: how they blink and how their head drifts.

Blinks: the eye aspect ratio (lid gap over eye width) against its median; a run of frames below
BLINK_RATIO is one blink. Rate, duration and depth (how far the lids close) describe them.

Head motion: each frame's head pose relative to the footage's typical pose, as an in-plane
similarity about the crop's centre (roll, log scale, shift of the centre in crop sizes), and the
spread of each of these in a few frequency bands: the runtime plays noise with the same spectrum.
Slow drift (below the first band) and tracking jitter (above the last) are left out.

Plain numpy: the numbers go into the .twin manifest and the runtime plays them.
"""

import numpy as np

from desktop_twin.training.motion_features import BLINK_RATIO, eye_aspect_ratio

MIN_BLINKS = 2  # fewer than this in the footage: typical numbers stand in
TYPICAL_BLINKS = {"blinks_per_minute": 15.0, "blink_seconds": 0.15, "blink_depth": 0.25}
HEAD_BANDS_HZ = ((0.05, 0.1), (0.1, 0.2), (0.2, 0.4), (0.4, 0.8), (0.8, 1.6), (1.6, 3.2))
HEAD_COMPONENTS = ("roll", "log_scale", "shift_x", "shift_y")
# The most each component may spread in all (radians, log, crop sizes): a recording full of
# deliberate turns must not make a twin that sways like a ship.
HEAD_LIMITS = {"roll": 0.05, "log_scale": 0.03, "shift_x": 0.03, "shift_y": 0.03}


def idle_statistics(crop_landmarks: np.ndarray, crop_transforms: np.ndarray, times: np.ndarray,
                    footage_index: np.ndarray, has_face: np.ndarray, crop_size: int) -> dict:
    """Blink and head-motion numbers of frames (all arrays per frame), for the manifest."""
    segments = [np.flatnonzero((footage_index == f) & has_face) for f in np.unique(footage_index)]
    segments = [s for s in segments if len(s) > 1]
    return {**blink_statistics(crop_landmarks, times, segments),
            "head_bands_hz": [list(b) for b in HEAD_BANDS_HZ],
            "head": head_statistics(crop_transforms, times, segments, crop_size)}


def blink_statistics(landmarks: np.ndarray, times: np.ndarray, segments: list[np.ndarray]) -> dict:
    durations, depths, seconds = [], [], 0.0
    for frames in segments:
        ratio = eye_aspect_ratio(landmarks[frames])
        ratio = ratio / np.median(ratio)
        frame_seconds = float(np.median(np.diff(times[frames])))
        seconds += len(frames) * frame_seconds
        for run in _runs(ratio < BLINK_RATIO):
            durations.append(len(run) * frame_seconds)
            depths.append(float(ratio[run].min()))
    if len(durations) < MIN_BLINKS:
        return {**TYPICAL_BLINKS, "blinks_from": "typical"}
    return {"blinks_per_minute": round(len(durations) / max(seconds, 1.0) * 60.0, 2),
            "blink_seconds": round(float(np.median(durations)), 3),
            "blink_depth": round(float(np.clip(np.median(depths), 0.0, 1.0)), 3),
            "blinks_from": "recording"}


def _runs(mask: np.ndarray) -> list[np.ndarray]:
    """Index runs where mask holds."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return [np.arange(a, b) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


def head_statistics(transforms: np.ndarray, times: np.ndarray, segments: list[np.ndarray], crop_size: int) -> dict:
    """Per component, the spread (standard deviation) in each of HEAD_BANDS_HZ."""
    powers, weights = [], []
    for frames in segments:
        params = pose_parameters(transforms[frames], crop_size)
        fps = 1.0 / float(np.median(np.diff(times[frames])))
        powers.append(band_powers(params - params.mean(axis=0), fps))
        weights.append(len(frames))
    power = np.average(np.stack(powers), axis=0, weights=weights)  # (bands, components)
    spread = np.sqrt(power)
    result = {}
    for column, name in enumerate(HEAD_COMPONENTS):
        total = float(np.sqrt((spread[:, column] ** 2).sum()))
        factor = min(1.0, HEAD_LIMITS[name] / total) if total > 0 else 0.0
        result[name] = [round(float(s * factor), 6) for s in spread[:, column]]
    return result


def pose_parameters(transforms: np.ndarray, crop_size: int) -> np.ndarray:
    """(frames, 4): roll, log scale and the crop centre's shift (in crop sizes) of each frame's head
    relative to the first frame's, from frame -> crop similarities."""
    first = np.vstack([transforms[0], [0.0, 0.0, 1.0]])
    centre = np.array([crop_size / 2, crop_size / 2, 1.0])
    params = []
    for matrix in transforms:
        # crop -> crop: where a point of the first frame's face is in this frame's head.
        motion = first @ np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))
        a, b = motion[0, 0], motion[1, 0]
        shift = (motion @ centre)[:2] - centre[:2]
        params.append([np.arctan2(b, a), np.log(np.hypot(a, b)), *(shift / crop_size)])
    return np.array(params)


def band_powers(values: np.ndarray, fps: float) -> np.ndarray:
    """(bands, columns) variance of each column within each band (one-sided periodogram)."""
    count = len(values)
    spectrum = np.abs(np.fft.rfft(values, axis=0)) ** 2 / count ** 2
    spectrum[1:] *= 2.0
    frequencies = np.fft.rfftfreq(count, 1.0 / fps)
    return np.stack([spectrum[(frequencies >= lo) & (frequencies < hi)].sum(axis=0) for lo, hi in HEAD_BANDS_HZ])
