"""Numbers that audio-driven motion is learnt from and played with: shared by training and the runtime.

No torch here: the runtime imports this module, and the live path never loads torch.

- Audio: the log-mel frames (capture.audio, 100 per second) are normalised for loudness by
  subtracting the speech level (a high percentile of the per-frame log power), so a quiet and a
  loud microphone give the model the same numbers. The level is never taken lower than the twin's
  own level minus MAX_BOOST: a silent input is not amplified into speech.
- Mouth: the points the audio moves (lips, and the face's outline below the nose: the jaw), as
  offsets from a neutral face divided by its eye distance, so they carry across faces.
- Eyes: the eye aspect ratio (lid gap over eye width), which blinks are found and played by.
"""

import numpy as np

from desktop_twin.capture.audio import MEL_BINS, MEL_HOP_SECONDS
from desktop_twin.face import topology

MEL_RATE = round(1.0 / MEL_HOP_SECONDS)  # mel frames per second
LEVEL_PERCENTILE = 95.0  # of the per-frame log power: where speech peaks sit
MAX_BOOST = 4.6  # natural-log power units (20 dB): the most a quiet input is raised
SILENCE_LOG_MEL = float(np.log(1e-6))  # capture.audio.log_mel of digital silence
BLINK_RATIO = 0.6  # eyes below this share of their open aspect ratio are closed (blinking)

LIPS_POINTS = np.unique(np.array(topology.LIPS))
# The face's outline below the nose, round the chin: the points speech moves (the jaw).
JAW_POINTS = np.array([132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361])
MOUTH_JAW_POINTS = np.concatenate([LIPS_POINTS, JAW_POINTS])
# Inner-lip points facing each other (upper, lower), from one mouth corner to the other.
INNER_LIP_PAIRS = np.array([(191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402),
                            (310, 318), (415, 324)])
# Eyelids, upper point above lower point, corner to corner; the corners; then the iris points.
RIGHT_EYELID_PAIRS = np.array([(246, 7), (161, 163), (160, 144), (159, 145), (158, 153), (157, 154),
                               (173, 155)])
LEFT_EYELID_PAIRS = np.array([(466, 249), (388, 390), (387, 373), (386, 374), (385, 380), (384, 381),
                              (398, 382)])
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (263, 362)
RIGHT_IRIS_POINTS = np.arange(468, 473)
LEFT_IRIS_POINTS = np.arange(473, 478)
EYES = ((RIGHT_EYELID_PAIRS, RIGHT_EYE_CORNERS, RIGHT_IRIS_POINTS),
        (LEFT_EYELID_PAIRS, LEFT_EYE_CORNERS, LEFT_IRIS_POINTS))


# -- audio -------------------------------------------------------------------------------------


def frame_log_power(mel: np.ndarray) -> np.ndarray:
    """Log of each mel frame's total power, (frames,)."""
    top = mel.max(axis=1, keepdims=True)
    return (top[:, 0] + np.log(np.exp(mel - top).sum(axis=1))).astype(np.float32)


def speech_level(mel: np.ndarray) -> float:
    """The level speech peaks at in these mel frames (log power)."""
    if not len(mel):
        return float(SILENCE_LOG_MEL + np.log(MEL_BINS))
    return float(np.percentile(frame_log_power(mel), LEVEL_PERCENTILE))


def loudness_offset(level: float, reference_level: float) -> float:
    """What to add to log-mel frames at `level` to bring speech to 0, boosting by MAX_BOOST at most."""
    return -max(level, reference_level - MAX_BOOST)


def mel_window(mel: np.ndarray, centre: int, before: int, after: int, pad: float) -> np.ndarray:
    """Frames centre-before .. centre+after (inclusive) of mel, `pad` where they fall outside it."""
    start, stop = centre - before, centre + after + 1
    window = np.full((stop - start, mel.shape[1]), pad, np.float32)
    lo, hi = max(start, 0), min(stop, len(mel))
    if hi > lo:
        window[lo - start:hi - start] = mel[lo:hi]
    return window


def mel_row(time_seconds: float) -> int:
    """The mel frame centred nearest a time."""
    return int(round(time_seconds * MEL_RATE))


# -- faces -------------------------------------------------------------------------------------


def eye_distance(landmarks: np.ndarray) -> float:
    """Outer-eye-corner distance of (478, 2+) landmarks."""
    return float(np.linalg.norm(landmarks[33, :2] - landmarks[263, :2]))


def mouth_offsets(landmarks: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """(..., P, 2) offsets of the mouth and jaw points from the neutral face, in its eye distances."""
    return (landmarks[..., MOUTH_JAW_POINTS, :2] - neutral[MOUTH_JAW_POINTS, :2]) / eye_distance(neutral)


def mouth_opening(landmarks: np.ndarray) -> np.ndarray:
    """Mean inner-lip gap (lower lip below upper) over eye distance, for (..., 478, 2+) landmarks."""
    upper = landmarks[..., INNER_LIP_PAIRS[:, 0], 1]
    lower = landmarks[..., INNER_LIP_PAIRS[:, 1], 1]
    width = np.linalg.norm(landmarks[..., 33, :2] - landmarks[..., 263, :2], axis=-1)
    return (lower - upper).mean(axis=-1) / width


def eye_aspect_ratio(landmarks: np.ndarray) -> np.ndarray:
    """Mean over both eyes of lid gap over eye width, for (..., 478, 2+) landmarks."""
    ratios = []
    for pairs, (outer, inner), _ in EYES:
        gap = np.linalg.norm(landmarks[..., pairs[:, 0], :2] - landmarks[..., pairs[:, 1], :2], axis=-1)
        width = np.linalg.norm(landmarks[..., outer, :2] - landmarks[..., inner, :2], axis=-1)
        ratios.append(gap.mean(axis=-1) / width)
    return (ratios[0] + ratios[1]) / 2
