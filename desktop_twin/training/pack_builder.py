"""Building a pretraining pack from folders of videos and photos, through the face pipeline."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.footage import iterate_frames
from desktop_twin.face.aligned_frames import align_observation
from desktop_twin.face.tracker import FaceTracker
from desktop_twin.training.pretrain_data import PACK_SIZE

VIDEO_SUFFIXES = {".mp4", ".mpg", ".mov", ".avi", ".mkv", ".webm"}
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
JPEG_QUALITY = 88
PACK_KEYS = ("names", "clip_sizes", "jpeg_sizes", "jpeg_bytes", "crop_landmarks")


def find_sources(folders: list[Path]) -> tuple[list[Path], list[Path]]:
    files = sorted(p for folder in folders for p in Path(folder).rglob("*") if p.is_file())
    return ([p for p in files if p.suffix.lower() in VIDEO_SUFFIXES],
            [p for p in files if p.suffix.lower() in PHOTO_SUFFIXES])


def aligned_frames(frames, fps: float, every: int = 1):
    """(crop BGR, crop landmarks) of every `every`-th frame that shows a face."""
    tracker = FaceTracker()
    for index, frame in enumerate(frames):
        observation = tracker.track(frame, index / fps)  # track every frame: the tracker needs continuity
        if observation is None or index % every:
            continue
        crop, _, landmarks = align_observation(frame, observation, PACK_SIZE)
        yield crop, landmarks[:, :2]


def build_pack(folders: list[Path], out: Path, frame_step: int = 3, max_photos: int | None = None,
               exclude: tuple[str, ...] = (), progress: Callable[[str], None] | None = None) -> dict:
    videos, photos = find_sources(folders)
    videos = [v for v in videos if not any(x in v.name for x in exclude)]
    photos = photos[:max_photos] if max_photos is not None else photos
    names, jpegs, landmarks, clip_sizes = [], [], [], []
    for path in videos:
        clip = list(aligned_frames(iterate_frames(path), 25.0, frame_step))
        _add_clip(path.name, clip, names, jpegs, landmarks, clip_sizes, minimum=5)
        if progress:
            progress(f"{path.name}: {len(clip)} crops")
    for path in photos:
        image = cv2.imread(str(path))
        clip = list(aligned_frames([image], 25.0)) if image is not None else []
        _add_clip(path.name, clip, names, jpegs, landmarks, clip_sizes, minimum=1)
    np.savez(out, names=np.array(names), clip_sizes=np.array(clip_sizes),
             jpeg_sizes=np.array([len(j) for j in jpegs]), jpeg_bytes=np.concatenate(jpegs),
             crop_landmarks=np.concatenate(landmarks).astype(np.float16))
    return {"clips": len(names), "frames": int(sum(clip_sizes)), "bytes": Path(out).stat().st_size}


def merge_packs(packs: list[Path], out: Path) -> dict:
    """One pack holding every clip of `packs` (built apart: videos and photos, or on several machines)."""
    parts = []
    for pack in packs:
        with np.load(pack) as arrays:
            parts.append({key: arrays[key] for key in PACK_KEYS})
    merged = {key: np.concatenate([part[key] for part in parts]) for key in PACK_KEYS}
    np.savez(out, **merged)
    return {"clips": len(merged["names"]), "frames": int(merged["clip_sizes"].sum()), "bytes": Path(out).stat().st_size}


def _add_clip(name, clip, names, jpegs, landmarks, clip_sizes, minimum: int) -> None:
    if len(clip) < minimum:
        return
    names.append(name)
    clip_sizes.append(len(clip))
    for crop, points in clip:
        jpegs.append(cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].reshape(-1))
    landmarks.append(np.stack([points for _, points in clip]))
