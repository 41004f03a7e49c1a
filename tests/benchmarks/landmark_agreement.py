"""Agreement of the ONNX face detector + mesh with MediaPipe itself, and their speed.

Two steps, because mediapipe needs its own environment (numpy<2).

1. In a throwaway venv:
       python3 -m venv /work/mpvenv
       /work/mpvenv/bin/pip install mediapipe==0.10.21 "numpy<2"
       /work/mpvenv/bin/python resources/models/convert/mediapipe_reference.py \
           $DATA/driving/d01_head_rotations_16s.mp4 /work/refs/d01_head_rotations_16s.npz
   (the same for each clip) writes MediaPipe's landmarks, frame by frame, in video mode.
2. In the project venv:
       .venv/bin/python tests/benchmarks/landmark_agreement.py /work/refs/*.npz
   runs FaceTracker over the clip of the same name (found under $DESKTOP_TWIN_SHARED_DATA,
   default <repo>/../shared/data) and compares.

Error of a frame: mean distance (x, y) over the 478 points, divided by the distance
between the outer eye corners (points 33 and 263) in MediaPipe's landmarks. Reported:
- tracking: both pipelines running freely (each follows its own previous landmarks);
- same ROI: our mesh on the ROI MediaPipe itself used (built from MediaPipe's previous
  frame), which isolates the converted model and its crop from tracking drift.
Speed: median milliseconds per call of FaceDetector.detect, FaceMesh.predict and
FaceTracker.track (the whole per-frame pipeline), one thread each, pre- and
post-processing included; beside MediaPipe's own `process` time from the npz.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from desktop_twin.face.detector import FaceDetector  # noqa: E402
from desktop_twin.face.mesh import FaceMesh, roi_from_landmarks  # noqa: E402
from desktop_twin.face.tracker import FaceTracker  # noqa: E402

DATA = Path(os.environ.get("DESKTOP_TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))
EYE_CORNERS = (33, 263)
IRIS = slice(468, 478)


def read_frames(video: Path):
    capture = cv2.VideoCapture(str(video))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        yield frame
    capture.release()


def normalised_errors(ours: np.ndarray, reference: np.ndarray, points=slice(None)) -> np.ndarray:
    """Per frame: mean (x, y) distance over `points` / outer-eye-corner distance."""
    eye_distance = np.linalg.norm(reference[:, EYE_CORNERS[0], :2] - reference[:, EYE_CORNERS[1], :2], axis=1)
    distances = np.linalg.norm(ours[:, points, :2] - reference[:, points, :2], axis=2)
    return distances.mean(axis=1) / eye_distance


def timed(call, *args):
    start = time.perf_counter()
    result = call(*args)
    return result, (time.perf_counter() - start) * 1000.0


def run_clip(video: Path, reference: np.ndarray, detector: FaceDetector, mesh: FaceMesh) -> dict:
    tracker = FaceTracker(detector, mesh)
    tracked, same_roi = np.full_like(reference, np.nan), np.full_like(reference, np.nan)
    detector_ms, mesh_ms, tracker_ms = [], [], []
    for index, frame in enumerate(read_frames(video)):
        result, ms = timed(tracker.track, frame, index / 25.0)
        tracker_ms.append(ms)
        if result is not None:
            tracked[index] = result.raw_landmarks  # the model's agreement, before smoothing
        _, ms = timed(detector.detect, frame)
        detector_ms.append(ms)
        if index > 0 and np.isfinite(reference[index - 1, 0, 0]):
            result, ms = timed(mesh.predict, frame, roi_from_landmarks(reference[index - 1]))
            same_roi[index] = result.landmarks
            mesh_ms.append(ms)
    return {"tracked": tracked, "same_roi": same_roi, "detector_ms": np.median(detector_ms),
            "mesh_ms": np.median(mesh_ms), "tracker_ms": np.median(tracker_ms)}


def summary(name: str, ours: np.ndarray, reference: np.ndarray) -> str:
    found_ours, found_reference = np.isfinite(ours[:, 0, 0]), np.isfinite(reference[:, 0, 0])
    both = found_ours & found_reference
    errors = normalised_errors(ours[both], reference[both]) * 100
    iris = normalised_errors(ours[both], reference[both], IRIS) * 100
    pixels = np.linalg.norm(ours[both, :, :2] - reference[both, :, :2], axis=2).mean()
    return (f"  {name:9s} frames {both.sum():4d}/{len(reference)} (face only in ours "
            f"{(found_ours & ~found_reference).sum()}, only in MediaPipe's {(~found_ours & found_reference).sum()}): "
            f"mean {errors.mean():.3f}% ({pixels:.3f} px)  median {np.median(errors):.3f}%  "
            f"max {errors.max():.3f}%  irises mean {iris.mean():.3f}%")


def find_video(stem: str) -> Path:
    matches = [p for p in DATA.rglob(f"{stem}.*") if p.suffix in (".mp4", ".mpg")]
    if not matches:
        raise SystemExit(f"no video named {stem} under {DATA} (set DESKTOP_TWIN_SHARED_DATA)")
    return matches[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("references", type=Path, nargs="+", help="npz files from mediapipe_reference.py")
    args = parser.parse_args(argv)
    detector, mesh = FaceDetector(threads=1), FaceMesh(threads=1)
    for path in args.references:
        saved = np.load(path)
        reference = saved["landmarks"]
        video = find_video(path.stem)
        result = run_clip(video, reference, detector, mesh)
        print(f"{video.name}: medians, 1 thread: detector {result['detector_ms']:.2f} ms, "
              f"mesh {result['mesh_ms']:.2f} ms, whole frame {result['tracker_ms']:.2f} ms "
              f"(MediaPipe {np.median(saved['process_ms']):.2f} ms)")
        print(summary("tracking", result["tracked"], reference))
        # The first frame has no previous MediaPipe ROI to reuse.
        print(summary("same ROI", result["same_roi"][1:], reference[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
