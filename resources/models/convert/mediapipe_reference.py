"""MediaPipe's own 478-point landmarks over a video, as the reference for the ONNX models.

    python resources/models/convert/mediapipe_reference.py VIDEO OUT.npz

Runs in its own throwaway environment with `mediapipe==0.10.21` (which needs numpy<2);
the application never imports mediapipe. Uses the legacy solution in video mode
(`static_image_mode=False`, refined landmarks, one face), one frame at a time.

The npz holds `landmarks` (frames x 478 x 3, float32, source pixels: x * width,
y * height, z * width; NaN where MediaPipe found no face), `process_ms` (time of each
frame's `process` call), `frame_size` (width, height) and `mediapipe_version`.
"""

import argparse
import sys
import time
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np

POINTS = 478


def landmarks_in_pixels(face, width: int, height: int) -> np.ndarray:
    points = np.array([(p.x, p.y, p.z) for p in face.landmark], np.float32)
    return points * np.array([width, height, width], np.float32)


def reference_landmarks(video: Path) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    capture = cv2.VideoCapture(str(video))
    frames, process_ms = [], []
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, refine_landmarks=True,
                                         max_num_faces=1) as face_mesh:
        while True:
            ok, frame_bgr = capture.read()
            if not ok:
                break
            height, width = frame_bgr.shape[:2]
            frame_rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
            start = time.perf_counter()
            result = face_mesh.process(frame_rgb)
            process_ms.append((time.perf_counter() - start) * 1000.0)
            if result.multi_face_landmarks:
                frames.append(landmarks_in_pixels(result.multi_face_landmarks[0], width, height))
            else:
                frames.append(np.full((POINTS, 3), np.nan, np.float32))
    capture.release()
    if not frames:
        raise SystemExit(f"no frames could be read from {video}")
    return np.stack(frames), np.array(process_ms, np.float32), (width, height)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    landmarks, process_ms, frame_size = reference_landmarks(args.video)
    np.savez_compressed(args.out, landmarks=landmarks, process_ms=process_ms,
                        frame_size=np.array(frame_size), mediapipe_version=mp.__version__)
    found = np.isfinite(landmarks[:, 0, 0]).sum()
    print(f"{args.video.name}: {len(landmarks)} frames, a face in {found}, "
          f"median {np.median(process_ms):.2f} ms per frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
