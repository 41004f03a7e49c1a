"""The bundled face detector and 478-point mesh, on real frames."""

import cv2
import numpy as np
import onnx
import pytest

from desktop_twin.face.detector import MODEL_FILE as DETECTOR_FILE
from desktop_twin.face.detector import FaceDetector
from desktop_twin.face.mesh import MODEL_FILE as MESH_FILE
from desktop_twin.face.mesh import FaceMesh, roi_from_detection
from desktop_twin.face.onnx_session import create_session
from desktop_twin.face.tracker import FaceTracker
from desktop_twin.resources import model_path
from tests.conftest import shared_file

T01 = "talking/t01_news_correspondent_71s.mp4"
T01_FRAMES = (0, 250, 1000, 1700)  # spread over the 71 s clip
# Mesh points that swap places in a mirror image (the person's right <-> left), and
# ones on the mid-line that stay.
MIRRORED_PAIRS = ((33, 263), (133, 362), (61, 291), (234, 454), (468, 473), (159, 386))
MIDLINE = (1, 4, 10, 152, 13, 14)


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


@pytest.fixture(scope="module")
def mesh() -> FaceMesh:
    return FaceMesh()


def read_frame(relative: str, index: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(shared_file(relative)))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = capture.read()
    capture.release()
    assert ok, f"could not read frame {index} of {relative}"
    return frame


def eye_distance(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[33, :2] - landmarks[263, :2]))


@pytest.mark.parametrize("name", [DETECTOR_FILE, MESH_FILE])
def test_model_passes_the_onnx_checker(name):
    onnx.checker.check_model(str(model_path(name)), full_check=True)


@pytest.mark.parametrize("name", [DETECTOR_FILE, MESH_FILE])
def test_model_loads_in_onnx_runtime_with_standard_ops_only(name):
    model = onnx.load(str(model_path(name)))
    assert {node.domain for node in model.graph.node} <= {"", "ai.onnx"}
    session = create_session(model_path(name))
    assert [i.name for i in session.get_inputs()] == ["image"]


@pytest.mark.parametrize("index", T01_FRAMES)
def test_detector_finds_the_one_face_in_t01(detector, index):
    frame = read_frame(T01, index)
    height, width = frame.shape[:2]
    faces = detector.detect(frame)
    assert len(faces) == 1
    face = faces[0]
    x_min, y_min, x_max, y_max = face.box
    assert 0 <= x_min < x_max <= width and 0 <= y_min < y_max <= height
    assert 0.2 * width < x_max - x_min < 0.9 * width
    assert 0.5 <= face.score <= 1.0
    right_eye, left_eye, nose, mouth = face.keypoints[:4]
    assert right_eye[0] < nose[0] < left_eye[0]  # the person's right eye is on the image's left
    assert max(right_eye[1], left_eye[1]) < nose[1] < mouth[1]


@pytest.mark.parametrize("index", T01_FRAMES)
def test_mesh_points_lie_on_the_detected_face(detector, mesh, index):
    frame = read_frame(T01, index)
    face = detector.detect(frame)[0]
    result = mesh.predict(frame, roi_from_detection(face))
    assert result.landmarks.shape == (478, 3) and result.landmarks.dtype == np.float32
    assert result.score > 0.9
    # The box is tight around eyes, nose and mouth; the mesh reaches a little past it (forehead).
    margin = 0.1 * (face.box[2:] - face.box[:2])
    xy = result.landmarks[:, :2]
    assert np.all(xy >= face.box[:2] - margin) and np.all(xy <= face.box[2:] + margin)


def test_landmarks_of_a_mirrored_frame_mirror_the_landmarks(detector, mesh):
    frame = read_frame(T01, T01_FRAMES[1])
    width = frame.shape[1]
    flipped = cv2.flip(frame, 1)
    original = mesh.predict(frame, roi_from_detection(detector.detect(frame)[0])).landmarks
    mirrored = mesh.predict(flipped, roi_from_detection(detector.detect(flipped)[0])).landmarks
    mirrored[:, 0] = width - mirrored[:, 0]  # back to the original frame's x
    tolerance = 0.08 * eye_distance(original)  # the face itself is not quite symmetric
    for right, left in MIRRORED_PAIRS:
        assert np.linalg.norm(mirrored[right, :2] - original[left, :2]) < tolerance
        assert np.linalg.norm(mirrored[left, :2] - original[right, :2]) < tolerance
    for point in MIDLINE:
        assert np.linalg.norm(mirrored[point, :2] - original[point, :2]) < tolerance


def test_black_frame_has_no_face(detector):
    assert detector.detect(np.zeros((480, 640, 3), np.uint8)) == []


def test_background_without_a_face_has_no_face(detector):
    background = np.ascontiguousarray(read_frame(T01, 0)[:120, :120])  # the studio wall, top left
    assert detector.detect(background) == []


def test_tracker_follows_the_face_over_consecutive_frames(detector, mesh):
    capture = cv2.VideoCapture(str(shared_file(T01)))
    tracker = FaceTracker(detector, mesh)
    results = []
    for index in range(25):
        ok, frame = capture.read()
        assert ok
        results.append(tracker.track(frame, index / 25))
    capture.release()
    assert all(r is not None and r.score > 0.5 for r in results)
    # One second of a newsreader: the face moves, but by less than its own eye distance.
    eyes = np.array([r.landmarks[[33, 263], :2].mean(axis=0) for r in results])
    assert np.linalg.norm(eyes - eyes[0], axis=1).max() < eye_distance(results[0].landmarks)
    assert tracker.track(np.zeros_like(frame), 1.0) is None
