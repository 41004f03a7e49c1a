"""Paired audio and face motion: the log-mel of a clip and the landmarks of its frames.

From a project's prepared data (the person's own footage) or from any video with a face and
sound, through the same face pipeline as prepare (the smoothed landmarks place the canonical
crop, the raw ones are what it shows). Videos read for pretraining can be cached: tracking is
the slow part.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_twin.capture import audio
from desktop_twin.capture.footage import iterate_frames, probe_video
from desktop_twin.face.align import CANONICAL_SIZE, canonical_transform, transform_points
from desktop_twin.face.tracker import FaceTracker

CACHE_VERSION = 1


@dataclass
class SpeechClip:
    name: str
    mel: np.ndarray  # (rows, MEL_BINS) log-mel at motion_features.MEL_RATE, row 0 at time 0
    times: np.ndarray  # (frames,) seconds of each video frame
    landmarks: np.ndarray  # (frames, 478, 3) in canonical crop pixels, NaN where no face was found
    crop_transforms: np.ndarray  # (frames, 2, 3) video pixels -> crop pixels, NaN where no face

    @property
    def has_face(self) -> np.ndarray:
        return ~np.isnan(self.landmarks[:, 0, 0])

    def subset(self, frames: np.ndarray) -> "SpeechClip":
        """The same clip's audio with only some of its frames."""
        return SpeechClip(self.name, self.mel, self.times[frames], self.landmarks[frames],
                          self.crop_transforms[frames])


def track_video(path: Path) -> SpeechClip:
    """A video's log-mel and its frames' canonical-crop landmarks."""
    path = Path(path)
    samples = audio.read_audio(path)
    mel = audio.log_mel(samples) if samples is not None and len(samples) else np.zeros((0, audio.MEL_BINS), np.float32)
    fps = probe_video(path).fps
    tracker, times, landmarks, transforms = FaceTracker(), [], [], []
    for index, frame in enumerate(iterate_frames(path)):
        observation = tracker.track(frame, index / fps)
        times.append(index / fps)
        if observation is None:
            landmarks.append(np.full((478, 3), np.nan, np.float32))
            transforms.append(np.full((2, 3), np.nan))
            continue
        matrix = canonical_transform(observation.landmarks, CANONICAL_SIZE)
        landmarks.append(transform_points(observation.raw_landmarks, matrix))
        transforms.append(matrix)
    return SpeechClip(path.name, mel, np.array(times), np.stack(landmarks).astype(np.float32),
                      np.stack(transforms))


def cached_track_video(path: Path, cache_dir: Path | None) -> SpeechClip:
    """track_video, kept in cache_dir under a name from the file's size, time and path."""
    if cache_dir is None:
        return track_video(path)
    stat = Path(path).stat()
    key = hashlib.sha256(f"{CACHE_VERSION}:{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    cached = Path(cache_dir) / f"{Path(path).stem}-{key.hexdigest()[:12]}.npz"
    if cached.is_file():
        with np.load(cached) as saved:
            return SpeechClip(str(saved["name"]), saved["mel"], saved["times"], saved["landmarks"],
                              saved["crop_transforms"])
    clip = track_video(path)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    np.savez(cached, name=clip.name, mel=clip.mel, times=clip.times, landmarks=clip.landmarks,
             crop_transforms=clip.crop_transforms)
    return clip


def prepared_clips(prepared_dir: Path) -> list[tuple[SpeechClip, np.ndarray]]:
    """One clip per footage file of a prepared project, with each of its frames' index in the
    prepared data (so a caller can keep to the training frames)."""
    with np.load(Path(prepared_dir) / "track.npz") as track:
        columns = {k: track[k] for k in ("crop_landmarks", "has_face", "time_seconds", "footage_index",
                                          "mel_index", "crop_transform")}
    mel = np.load(Path(prepared_dir) / "mel.npy")
    clips = []
    for footage in np.unique(columns["footage_index"]):
        frames = np.flatnonzero(columns["footage_index"] == footage)
        first_row = int(columns["mel_index"][frames[0]]) - mel_row_of(columns["time_seconds"][frames[0]])
        last_row = _footage_mel_end(columns, footage, len(mel))
        landmarks = columns["crop_landmarks"][frames].astype(np.float32)
        landmarks[~columns["has_face"][frames]] = np.nan
        clip = SpeechClip(f"footage {footage}", mel[max(first_row, 0):last_row], columns["time_seconds"][frames],
                          landmarks, columns["crop_transform"][frames])
        clips.append((clip, frames))
    return clips


def mel_row_of(time_seconds: float) -> int:
    return round(time_seconds / audio.MEL_HOP_SECONDS)


def _footage_mel_end(columns: dict, footage: int, rows: int) -> int:
    """Where a footage file's mel rows end in the project's mel array: where the next one's begin."""
    later = np.flatnonzero(columns["footage_index"] > footage)
    if not len(later):
        return rows
    following = later[0]
    return int(columns["mel_index"][following]) - mel_row_of(columns["time_seconds"][following])
