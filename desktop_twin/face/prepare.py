"""Prepare a twin project's footage for training: landmarks, aligned crops, quality, audio features.

The result lands in the project's `prepared/` folder all at once: it is built in
a hidden sibling folder and renamed into place, so a crash or a cancel leaves
the previous prepared data (or none), never half of it.
"""

import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture import audio
from desktop_twin.capture.errors import DiskFullError
from desktop_twin.capture.footage import iterate_frames, probe_video
from desktop_twin.errors import DISK_FULL_ERRNOS, UserError
from desktop_twin.face import quality
from desktop_twin.face.align import CANONICAL_SIZE
from desktop_twin.face.aligned_frames import align_observation
from desktop_twin.face.tracker import FaceTracker
from desktop_twin.store import PreparedSummary, TwinProject
from desktop_twin.store.atomic import sync_tree
from desktop_twin.store.manifest import utc_now

CHUNK_FRAMES = 256  # crops are written in chunks as they come, never all held in memory
SPACE_MARGIN_BYTES = 200 * 2**20  # landmarks, sound features, and room for the rest of the system
MIN_FACE_SECONDS = 10.0
MAX_FACELESS_FRACTION = 0.05


@dataclass
class PrepareProgress:
    frames_done: int
    frames_total: int
    footage_name: str


@dataclass
class _Track:
    """Per-frame results, appended as frames are read."""

    columns: dict[str, list] = field(default_factory=dict)

    def append(self, **values) -> None:
        for key, value in values.items():
            self.columns.setdefault(key, []).append(value)

    def arrays(self) -> dict[str, np.ndarray]:
        return {key: np.stack(values) for key, values in self.columns.items()}


class _CropWriter:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True)
        self.pending: list[np.ndarray] = []
        self.chunks = 0

    def add(self, crop_rgb: np.ndarray) -> None:
        self.pending.append(crop_rgb)
        if len(self.pending) == CHUNK_FRAMES:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            np.save(self.folder / f"{self.chunks:05d}.npy", np.stack(self.pending))
            self.chunks += 1
            self.pending = []


@dataclass
class _AudioFeatures:
    mel: np.ndarray  # (frames at 100 Hz, MEL_BINS)
    speech: np.ndarray  # one bool per VAD frame
    has_audio: bool

    @classmethod
    def of(cls, path: Path) -> "_AudioFeatures":
        samples = audio.read_audio(path)
        if samples is None or len(samples) == 0:
            return cls(np.zeros((0, audio.MEL_BINS), np.float32), np.zeros(0, bool), False)
        return cls(audio.log_mel(samples), audio.speech_mask(samples), True)

    def at(self, time_seconds: float, mel_offset: int) -> dict:
        """The frame's row in the whole project's mel array, and whether it holds speech."""
        mel_row = min(round(time_seconds / audio.MEL_HOP_SECONDS), max(len(self.mel) - 1, 0))
        speech_row = min(int(time_seconds / audio.VAD_FRAME_SECONDS), len(self.speech) - 1)
        return {"mel_index": mel_offset + mel_row, "speech": bool(self.speech[speech_row]) if len(self.speech) else False}


def prepare_project(
    project: TwinProject,
    progress: Callable[[PrepareProgress], None] | None = None,
    cancel: threading.Event | None = None,
    crop_size: int = CANONICAL_SIZE,
) -> PreparedSummary:
    """Run the face pipeline and the audio analysis over every footage file of a project."""
    with project.writing():
        return _prepare(project, progress, cancel, crop_size)


def _prepare(project: TwinProject, progress, cancel, crop_size: int) -> PreparedSummary:
    footage = project.manifest.footage
    if not footage:
        raise UserError(f"Twin {project.name!r} has no footage yet. Import a video or record one first.")
    paths = [project.footage_dir / entry.file for entry in footage]
    total = sum(probe_video(path).frames for path in paths)
    building = project.path / ".prepared.partial"
    shutil.rmtree(building, ignore_errors=True)
    _check_free_space(project.path, total, crop_size)
    try:
        crops, track, features = _CropWriter(building / "crops"), _Track(), []
        for index, path in enumerate(paths):
            features.append(_AudioFeatures.of(path))
            mel_offset = sum(len(f.mel) for f in features[:-1])
            tracker = FaceTracker()
            for frame_index, frame in enumerate(iterate_frames(path)):
                if cancel is not None and cancel.is_set():
                    raise UserError("Preparation was cancelled; the previous prepared data is unchanged.")
                time_seconds = frame_index / footage[index].fps
                _prepare_frame(frame, time_seconds, tracker, crops, track, crop_size)
                track.append(footage_index=index, frame_index=frame_index, time_seconds=time_seconds,
                             **features[-1].at(time_seconds, mel_offset))
                if progress is not None:
                    done = len(track.columns["footage_index"])
                    progress(PrepareProgress(done, max(total, done), path.name))
        crops.flush()
        arrays = _checked_arrays(track)
        np.savez(building / "track.npz", **arrays)
        np.save(building / "mel.npy", np.concatenate([f.mel for f in features]))
        speech_seconds = sum(f.speech.sum() for f in features) * audio.VAD_FRAME_SECONDS
        summary = _summarise(project, arrays, speech_seconds, [f.has_audio for f in features], crop_size,
                             fps_of=[f.fps for f in footage])
        sync_tree(building)  # the manifest that will name it as prepared is itself written durably
        _replace_folder(building, project.prepared_dir)
    except OSError as error:
        if error.errno in DISK_FULL_ERRNOS:
            raise DiskFullError(f"The disk holding {project.path} filled up while preparing. Free some space "
                                "and prepare again; the previous prepared data is unchanged.") from error
        raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    project.manifest.prepared = summary
    project.save()
    return summary


def _check_free_space(folder: Path, frames: int, crop_size: int) -> None:
    """Crops are kept uncompressed (exact ground truth, fast to read), about 200 kB a frame:
    say so before the work starts, not when the disk fills."""
    needed = frames * crop_size * crop_size * 3 + SPACE_MARGIN_BYTES
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise DiskFullError(f"Preparing {frames} frames needs about {_size(needed)} free on the disk "
                            f"holding {folder}, and {_size(free)} are free. Free some space and "
                            "prepare again; the previous prepared data is unchanged.")


def _size(count: int) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e9 else f"{count / 1e6:.0f} MB"


def _checked_arrays(track: _Track) -> dict[str, np.ndarray]:
    if not track.columns:
        raise UserError("None of the footage's frames could be decoded.")
    arrays = track.arrays()
    if not arrays["has_face"].any():
        raise UserError("No face was found in any frame of the footage. Film yourself facing the "
                        "camera, in good light, and import that.")
    return arrays


def _prepare_frame(frame, time_seconds, tracker, crops, track, crop_size) -> None:
    observation = tracker.track(frame, time_seconds)
    if observation is None:
        crops.add(np.zeros((crop_size, crop_size, 3), np.uint8))
        nan = np.full((478, 3), np.nan, np.float32)
        track.append(has_face=False, score=0.0, landmarks=nan, crop_landmarks=nan,
                     crop_transform=np.full((2, 3), np.nan), sharpness=np.nan, brightness=np.nan,
                     eye_distance=np.nan)
        return
    crop, matrix, crop_landmarks = align_observation(frame, observation, crop_size)
    crops.add(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))
    track.append(has_face=True, score=observation.score, landmarks=observation.raw_landmarks,
                 crop_landmarks=crop_landmarks, crop_transform=matrix,
                 sharpness=quality.crop_sharpness(crop), brightness=quality.crop_brightness(crop),
                 eye_distance=quality.eye_distance(observation.landmarks))


def _summarise(project, arrays, speech_seconds, has_audio, crop_size, fps_of) -> PreparedSummary:
    frames = len(arrays["has_face"])
    with_face = int(arrays["has_face"].sum())
    duration = sum(np.sum(arrays["footage_index"] == i) / fps for i, fps in enumerate(fps_of))
    face_seconds = duration * with_face / frames
    return PreparedSummary(
        prepared=utc_now(),
        footage_sha256=[f.sha256 for f in project.manifest.footage],
        crop_size=crop_size,
        frames=frames,
        frames_with_face=with_face,
        duration_seconds=round(float(duration), 3),
        speech_seconds=round(float(speech_seconds), 2),
        warnings=_warnings(arrays, frames, with_face, face_seconds, speech_seconds, has_audio),
    )


def _warnings(arrays, frames, with_face, face_seconds, speech_seconds, has_audio) -> list[str]:
    warnings = []
    faceless = 1.0 - with_face / frames
    if faceless > MAX_FACELESS_FRACTION:
        warnings.append(f"No face in {faceless:.0%} of the frames; those frames are not used for training.")
    if face_seconds < MIN_FACE_SECONDS:
        warnings.append(f"Only {face_seconds:.1f} s of footage shows a face; record at least "
                        f"{MIN_FACE_SECONDS:.0f} s (a few minutes is best).")
    if not any(has_audio):
        warnings.append("The footage has no audio track: the twin can copy a webcam but cannot learn to speak.")
    elif speech_seconds < 1.0:
        warnings.append("No speech was heard in the audio: the twin cannot learn to speak from it.")
    face = arrays["has_face"]
    checks = [
        (np.median(arrays["brightness"][face]) < quality.MIN_BRIGHTNESS, "The face is too dark: add light in front of you."),
        (np.median(arrays["brightness"][face]) > quality.MAX_BRIGHTNESS, "The face is overexposed: reduce the light or move away from it."),
        (np.median(arrays["sharpness"][face]) < quality.MIN_SHARPNESS, "The face is blurred: clean the lens, add light, or hold still."),
        (np.median(arrays["eye_distance"][face]) < quality.MIN_EYE_DISTANCE_PX, "The face is small in the frame: sit closer to the camera."),
    ]
    warnings.extend(message for failed, message in checks if failed)
    return warnings


def _replace_folder(new: Path, target: Path) -> None:
    old = target.with_name(".prepared.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
