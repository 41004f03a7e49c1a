"""Video files as footage: probe, read frame by frame, import into a twin project."""

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.audio import has_audio_track
from desktop_twin.errors import UserError, write_failure
from desktop_twin.store import FootageEntry, TwinProject
from desktop_twin.store.atomic import fsync_directory, fsync_file, remove_leftovers
from desktop_twin.store.manifest import utc_now

PARTIAL_SUFFIX = ".partial"  # a copy being made: ".NAME.partial" until it is whole
STILL_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class VideoInfo:
    frames: int
    fps: float
    width: int
    height: int

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.fps


def open_video(path: Path) -> cv2.VideoCapture:
    """Open a video file with OpenCV, or raise a UserError that says why it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist or is not a file.")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise UserError(f"{path.name} is not a video this app can read (not a video, or damaged or cut short).")
    return capture


def probe_video(path: Path) -> VideoInfo:
    """Size, frame rate and frame count, checking that the first frame decodes."""
    capture = open_video(path)
    try:
        ok, frame = capture.read()
        if not ok or frame is None:
            raise UserError(f"{Path(path).name} has no frames that can be decoded (damaged or truncated?).")
        fps = capture.get(cv2.CAP_PROP_FPS)
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    fps = fps if 1.0 <= fps <= 240.0 else 25.0  # image sequences and odd files report nonsense
    height, width = frame.shape[:2]
    return VideoInfo(frames=max(frames, 1), fps=float(fps), width=width, height=height)


def probe_footage(path: Path) -> VideoInfo:
    """probe_video, refusing a photo first: OpenCV reads one as a video of a single frame."""
    if Path(path).suffix.lower() in STILL_IMAGE_SUFFIXES:
        raise UserError(f"{Path(path).name} is a photo: a twin learns from video of the person talking and moving.")
    return probe_video(path)


def iterate_frames(path: Path) -> Iterator[np.ndarray]:
    """Every decodable frame of a video, BGR uint8, stopping quietly where a truncated file ends."""
    capture = open_video(path)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def import_footage(project: TwinProject, source: Path) -> FootageEntry:
    """Copy a video into the project and record it in the manifest; nothing is left half-copied."""
    source = Path(source)
    info = probe_footage(source)
    with project.writing():
        remove_leftovers(project.footage_dir, f".*{PARTIAL_SUFFIX}")  # the copies of imports killed mid-way
        entry = _copy_in(project, source, info)
        project.manifest.footage.append(entry)
        try:
            project.save()
        except OSError as error:  # the copy is in, the record of it is not: no footage nothing knows of
            project.manifest.footage.pop()
            (project.footage_dir / entry.file).unlink(missing_ok=True)
            raise UserError(f"Cannot add {source.name} to the twin: {write_failure(error)}") from None
    return entry


def refuse_if_imported(project: TwinProject, source: Path, sha256: str) -> None:
    """A video already in the twin (the same bytes, under any name) is not added twice."""
    earlier = next((entry for entry in project.manifest.footage if entry.sha256 == sha256), None)
    if earlier is not None:
        raise UserError(f"{Path(source).name} is already in the twin (imported as {earlier.file}).")


def import_take(project: TwinProject, video: Path) -> FootageEntry:
    """A finished take into the twin; when it cannot go in now (the twin busy elsewhere, say), the
    message says where the take is kept."""
    try:
        return import_footage(project, video)
    except UserError as error:
        raise UserError(f"{error} The take is kept as {video}: add it to the twin later.") from None


def _copy_in(project: TwinProject, source: Path, info: VideoInfo) -> FootageEntry:
    project.footage_dir.mkdir(parents=True, exist_ok=True)
    target = _unique_path(project.footage_dir, source.name)
    partial = target.with_name(f".{target.name}{PARTIAL_SUFFIX}")
    try:
        sha256 = _copy_with_hash(source, partial)
        refuse_if_imported(project, source, sha256)
        partial.rename(target)
        fsync_directory(target.parent)
    except OSError as error:
        raise UserError(f"Cannot copy {source.name} into the twin: {error.strerror}.") from None
    finally:
        partial.unlink(missing_ok=True)
    return FootageEntry(
        file=target.name,
        source_name=source.name,
        sha256=sha256,
        imported=utc_now(),
        frames=info.frames,
        fps=info.fps,
        width=info.width,
        height=info.height,
        duration_seconds=info.duration_seconds,
        has_audio=has_audio_track(target),
    )


def _copy_with_hash(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            dst.write(chunk)
        fsync_file(dst)  # on the disk before the manifest names it
    return digest.hexdigest()


def _unique_path(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    index = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{index}{suffix}"
        index += 1
    return candidate


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
