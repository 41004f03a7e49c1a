"""What a card shows besides its name: a thumbnail and the last quality figures, read from the
twin's files on a worker thread (the prepared crops, its footage, its .twin file)."""

import json
import zipfile
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtGui import QImage

from desktop_twin.store import TwinProject
from desktop_twin.ui.images import center_square, rgb_image
from desktop_twin.ui.twins import bundle_is_current, bundle_path

THUMBNAIL_SIDE = 176
CROP_CHUNK = 256  # frames per file of prepared crops (face.prepare writes them so)
MAX_MEMBER_BYTES = 4 << 20


@dataclass(frozen=True)
class CardPicture:
    thumbnail: QImage | None
    quality: str  # "" when the twin has no measured figures yet


def load_pictures(projects: list[TwinProject], emit, cancel) -> dict[str, CardPicture]:
    pictures = {}
    for project in projects:
        if cancel.is_set():
            break
        rgb = thumbnail_rgb(project)
        image = rgb_image(cv2.resize(rgb, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), interpolation=cv2.INTER_AREA)) \
            if rgb is not None else None
        pictures[project.name] = CardPicture(image, quality_text(project))
    return pictures


def thumbnail_rgb(project: TwinProject) -> np.ndarray | None:
    """The .twin's thumbnail, else the first prepared face crop, else the middle of the first frame."""
    for source in (_bundle_thumbnail, _prepared_crop, _first_frame):
        try:
            image = source(project)
        except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
            image = None
        if image is not None:
            return image
    return None


def _bundle_thumbnail(project: TwinProject) -> np.ndarray | None:
    data = _member(project, "thumbnail.png")
    if data is None:
        return None
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _prepared_crop(project: TwinProject) -> np.ndarray | None:
    if project.manifest.status != "prepared":
        return None
    with np.load(project.prepared_dir / "track.npz") as track:
        faces = np.flatnonzero(track["has_face"])
    if not len(faces):
        return None
    index = int(faces[0])
    chunk = np.load(project.prepared_dir / "crops" / f"{index // CROP_CHUNK:05d}.npy", mmap_mode="r")
    return np.array(chunk[index % CROP_CHUNK])


def _first_frame(project: TwinProject) -> np.ndarray | None:
    if not project.manifest.footage:
        return None
    capture = cv2.VideoCapture(str(project.footage_dir / project.manifest.footage[0].file))
    try:
        ok, frame = capture.read()
    finally:
        capture.release()
    return cv2.cvtColor(center_square(frame), cv2.COLOR_BGR2RGB) if ok else None


def quality_text(project: TwinProject) -> str:
    """The twin's measured quality, from its .twin file: held-out PSNR and SSIM; none when the twin
    was trained again since the file was made (its figures are an earlier model's)."""
    if not bundle_is_current(project):
        return ""
    try:
        data = _member(project, "manifest.json")
        quality = json.loads(data).get("quality", {}) if data else {}
    except (OSError, ValueError, zipfile.BadZipFile):
        return ""
    held_out = quality.get("held_out", {}).get("twin") or quality.get("training_held_out")
    if not isinstance(held_out, dict) or "psnr" not in held_out:
        return ""
    text = f"PSNR {held_out['psnr']:.1f} dB"
    if "ssim" in held_out:
        text += f" · SSIM {held_out['ssim']:.3f}"
    return text


def _member(project: TwinProject, name: str) -> bytes | None:
    path = bundle_path(project)
    if not path.is_file():
        return None
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        if info.file_size > MAX_MEMBER_BYTES:
            return None
        return archive.read(info)
