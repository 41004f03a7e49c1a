"""Retargeting another person's face onto the twin, on landmarks the face mesh found in real video."""

import numpy as np
import pytest

from desktop_twin.face.align import canonical_transform, transform_points
from desktop_twin.runtime.retarget import Retargeter
from tests.conftest import shared_file
from tests.runtime.conftest import EXPRESSIVE_DRIVER, OTHER_PERSON_CLIP, TWIN_CLIP, track_landmarks

SIZE = 256
UPPER_INNER_LIP, LOWER_INNER_LIP = 13, 14
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263


def mouth_opening(landmarks: np.ndarray) -> float:
    """How far the inner lips stand apart, over the eye distance (whatever the face's size or roll):
    the lower lip's offset below the upper one, along the face's vertical."""
    across = landmarks[LEFT_EYE_OUTER, :2] - landmarks[RIGHT_EYE_OUTER, :2]
    down = np.array([-across[1], across[0]]) / np.linalg.norm(across)
    return float((landmarks[LOWER_INNER_LIP, :2] - landmarks[UPPER_INNER_LIP, :2]) @ down / np.linalg.norm(across))


@pytest.fixture(scope="module")
def twin_neutral() -> np.ndarray:
    """The twin's resting face: its own person's landmarks over a second, aligned, median."""
    _, landmarks = track_landmarks(shared_file(TWIN_CLIP), seconds=1.0)
    return np.median([transform_points(l, canonical_transform(l, SIZE)) for l in landmarks], axis=0)


@pytest.fixture(scope="module")
def driver():
    """(times, landmarks) of another person making strong expressions."""
    return track_landmarks(shared_file(EXPRESSIVE_DRIVER), seconds=8.0)


def calibration_median(times, landmarks, seconds=1.0):
    return np.median(landmarks[times - times[0] <= seconds], axis=0)


def test_calibration_maps_the_drivers_neutral_onto_the_twins(twin_neutral, driver):
    times, landmarks = driver
    retargeter = Retargeter(twin_neutral, SIZE)
    for t, points in zip(times, landmarks):
        retargeter.retarget(points, t)
    assert retargeter.calibrated
    at_rest = retargeter.retarget(calibration_median(times, landmarks), times[-1] + 0.04)
    np.testing.assert_allclose(at_rest.landmarks[:, :2], twin_neutral[:, :2], atol=1e-3)
    np.testing.assert_allclose(at_rest.head_motion, np.eye(2, 3), atol=1e-6)


def test_the_drivers_mouth_opening_opens_the_twins_mouth(twin_neutral, driver):
    times, landmarks = driver
    retargeter = Retargeter(twin_neutral, SIZE)
    twin = np.array([mouth_opening(retargeter.retarget(p, t).landmarks) for t, p in zip(times, landmarks)])
    source = np.array([mouth_opening(p) for p in landmarks])
    calibrated = times - times[0] > 1.0
    assert np.ptp(source[calibrated]) > 0.1  # the driver really opens and closes the mouth
    assert np.corrcoef(source[calibrated], twin[calibrated])[0, 1] > 0.95
    assert twin.min() > -1e-3  # lips meet, never cross, however far the driver closes the mouth
    widest = np.argmax(np.where(calibrated, source, -1))
    driver_gain = source[widest] - mouth_opening(calibration_median(times, landmarks))
    twin_gain = twin[widest] - mouth_opening(twin_neutral)
    assert twin_gain == pytest.approx(driver_gain, rel=0.25)


def test_head_roll_scale_and_shift_move_the_twin_and_leave_its_expression(twin_neutral, driver):
    times, landmarks = driver
    retargeter = Retargeter(twin_neutral, SIZE)
    for t, points in zip(times[:40], landmarks[:40]):
        retargeter.retarget(points, t)
    frame = landmarks[40]
    angle, scale = np.radians(12.0), 1.1
    centre = frame[:, :2].mean(axis=0)
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = frame.copy()
    moved[:, :2] = (frame[:, :2] - centre) @ rotation.T + centre + [15.0, -8.0]
    still, turned = retargeter.retarget(frame, times[40]), retargeter.retarget(moved, times[40])
    np.testing.assert_allclose(turned.landmarks[:, :2], still.landmarks[:, :2], atol=0.02)
    # The twin's head makes the same roll and scale relative to where the driver's was.
    relative = np.vstack([turned.head_motion, [0, 0, 1]]) @ np.linalg.inv(np.vstack([still.head_motion, [0, 0, 1]]))
    assert np.degrees(np.arctan2(relative[1, 0], relative[0, 0])) == pytest.approx(12.0, abs=0.01)
    assert np.hypot(relative[0, 0], relative[1, 0]) == pytest.approx(scale, abs=1e-4)


def test_recalibrate_takes_the_new_drivers_neutral(twin_neutral, driver):
    times, landmarks = driver
    retargeter = Retargeter(twin_neutral, SIZE)
    for t, points in zip(times, landmarks):
        retargeter.retarget(points, t)
    retargeter.recalibrate()
    assert not retargeter.calibrated
    other_times, other = track_landmarks(shared_file(OTHER_PERSON_CLIP), seconds=2.0)
    start = times[-1] + 1.0  # the camera's clock goes on
    for t, points in zip(other_times, other):
        retargeter.retarget(points, start + t)
    assert retargeter.calibrated
    at_rest = retargeter.retarget(calibration_median(other_times, other), start + other_times[-1] + 0.04)
    np.testing.assert_allclose(at_rest.landmarks[:, :2], twin_neutral[:, :2], atol=1e-3)
