"""Measures of one face from its 478-point mesh (x, y in pixels, z depth on the x scale).

Any landmark source of that topology works; measures are ratios or angles, so they do
not depend on the face's size in the picture.
"""

from dataclasses import dataclass

import numpy as np

FOREHEAD, CHIN = 10, 152
RIGHT_CHEEK, LEFT_CHEEK = 234, 454  # the person's own right and left
UPPER_INNER_LIP, LOWER_INNER_LIP = 13, 14
RIGHT_MOUTH_CORNER, LEFT_MOUTH_CORNER = 61, 291
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
RIGHT_BROW, LEFT_BROW = 105, 334  # middle of each eyebrow
RIGHT_UPPER_LID, LEFT_UPPER_LID = 159, 386
# The forehead-to-chin line of a face looking straight into the camera leans this far
# back from the picture plane (measured on frontal frames of real footage).
FRONTAL_PITCH_DEGREES = -13.5


@dataclass(frozen=True)
class FaceMeasures:
    yaw: float  # degrees, > 0 when the head turns to the person's left
    pitch: float  # degrees, > 0 when the person looks up
    mouth_openness: float  # inner-lip gap over face height
    mouth_width: float  # mouth-corner distance over eye-corner distance
    brow_height: float  # eyebrow-to-upper-lid distance over eye-corner distance


def measure_face(landmarks: np.ndarray) -> FaceMeasures:
    yaw, pitch = head_angles(landmarks)
    eyes = _distance(landmarks, RIGHT_EYE_OUTER, LEFT_EYE_OUTER, planar=False)
    brows = (_distance(landmarks, RIGHT_BROW, RIGHT_UPPER_LID) + _distance(landmarks, LEFT_BROW, LEFT_UPPER_LID)) / 2
    return FaceMeasures(
        yaw=yaw,
        pitch=pitch,
        mouth_openness=mouth_openness(landmarks),
        mouth_width=_distance(landmarks, RIGHT_MOUTH_CORNER, LEFT_MOUTH_CORNER, planar=False) / eyes,
        brow_height=brows / eyes,
    )


def head_angles(landmarks: np.ndarray) -> tuple[float, float]:
    """Yaw and pitch of the face plane spanned by cheek-to-cheek and forehead-to-chin."""
    across = landmarks[LEFT_CHEEK] - landmarks[RIGHT_CHEEK]
    across = across / np.linalg.norm(across)
    down = landmarks[CHIN] - landmarks[FOREHEAD]
    down = down - across * (down @ across)
    down = down / np.linalg.norm(down)
    normal = np.cross(across, down)
    yaw = -np.degrees(np.arctan2(normal[0], normal[2]))
    pitch = np.degrees(np.arctan2(normal[1], normal[2])) - FRONTAL_PITCH_DEGREES
    return float(yaw), float(pitch)


def mouth_openness(landmarks: np.ndarray) -> float:
    gap = _distance(landmarks, UPPER_INNER_LIP, LOWER_INNER_LIP)
    return gap / _distance(landmarks, FOREHEAD, CHIN)


def face_box(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of the mesh in pixels."""
    x, y = landmarks[:, 0], landmarks[:, 1]
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _distance(landmarks: np.ndarray, a: int, b: int, planar: bool = True) -> float:
    dims = 2 if planar else 3
    return float(np.linalg.norm(landmarks[a, :dims] - landmarks[b, :dims]))
