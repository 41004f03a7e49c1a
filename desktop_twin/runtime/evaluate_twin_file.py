"""How good is the twin in a .twin file? The renderer, through ONNX Runtime, driven by footage's own landmarks.

No retargeting: the footage is the twin's own person, so each frame's landmarks, aligned
exactly as `prepare` aligns them, drive the renderer, and the rendering is scored against
the real crop (PSNR and SSIM of the face and the mouth, face.metrics). Frames are read,
tracked and cropped as the torch evaluation (training.evaluate) reads them, so the two
agree on the same footage; only the renderer's arithmetic differs.
"""

import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.footage import probe_video
from desktop_twin.errors import UserError
from desktop_twin.face.metrics import fidelity
from desktop_twin.face.aligned_frames import aligned_video_frames
from desktop_twin.runtime.onnx_renderer import OnnxRenderer
from desktop_twin.runtime.twin_assets import TwinAssets

METRICS = ("psnr", "ssim", "mouth_psnr", "mouth_ssim")


@dataclass(frozen=True)
class EvaluateProgress:
    frames_done: int
    frames_total: int


@dataclass(frozen=True)
class RealFrame:
    """A real frame in the canonical crop, at the renderer's size."""

    position: int  # among the frames asked for, faceless ones included: for progress
    real_rgb: np.ndarray
    landmarks: np.ndarray  # (478, 3) in the crop's pixels


def evaluate_bundle(bundle, video: str | Path, start: float | None = None, end: float | None = None,
                    providers: list[str] | None = None,
                    progress: Callable[[EvaluateProgress], None] | None = None,
                    cancel: threading.Event | None = None) -> dict:
    """Mean scores of the twin over the frames of `video` between start and end seconds that show a face."""
    if start is not None and end is not None and end <= start:
        raise UserError(f"--end ({end:g} s) must come after --start ({start:g} s).")
    assets = bundle if isinstance(bundle, TwinAssets) else TwinAssets.from_bundle(bundle)
    renderer = OnnxRenderer(assets, providers)
    frames, total = footage_frames(Path(video), start, end, assets.canonical_size, assets.render_size)
    scores = []
    for frame in frames:
        if cancel is not None and cancel.is_set():
            raise UserError("Evaluation was cancelled.")
        rendering = renderer.render(renderer.sketch(frame.landmarks))
        scores.append(fidelity(frame.real_rgb, rendering, frame.landmarks))
        if progress is not None:
            progress(EvaluateProgress(frame.position + 1, max(total, frame.position + 1)))
    if not scores:
        raise UserError(no_face_message(Path(video), start, end))
    return {"name": assets.name, "frames": len(scores), "footage": str(video), "start": start, "end": end,
            "image_size": assets.render_size, "provider": renderer.provider,
            "twin": {key: float(np.mean([s[key] for s in scores])) for key in METRICS}}


def footage_frames(path: Path, start: float | None, end: float | None, crop_size: int,
                   size: int) -> tuple[Iterator[RealFrame], int]:
    """The frames from start to end seconds, and how many frames progress counts through."""
    info = probe_video(path)
    first = max(0, round((start or 0.0) * info.fps))
    if first >= info.frames:
        raise UserError(f"{path.name} lasts {info.duration_seconds:.1f} s: --start {start:g} is past its end.")
    # Without --end, read to the last decodable frame: containers often miscount their frames.
    last = math.inf if end is None else round(end * info.fps)
    total = max(min(info.frames, last) - first, 1)
    return aligned_frames(path, info.fps, first, last, crop_size, size), total


def aligned_frames(path: Path, fps: float, first: int, last: float, crop_size: int,
                   size: int) -> Iterator[RealFrame]:
    """Each frame with a face, cut as prepare cuts it, then resized to the renderer's size."""
    for frame in aligned_video_frames(path, fps, first, last, crop_size):
        landmarks = frame.crop_landmarks.copy()
        landmarks[:, :2] *= size / crop_size
        yield RealFrame(frame.index - first, resized(frame.crop_rgb, size), landmarks)


def resized(crop: np.ndarray, size: int) -> np.ndarray:
    if crop.shape[0] == size:
        return crop
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def no_face_message(path: Path, start: float | None, end: float | None) -> str:
    where = path.name
    if start is not None or end is not None:
        where += f" between {start or 0:g} s and {'the end' if end is None else f'{end:g} s'}"
    return f"No face was found in {where}: nothing to compare the twin with."
