"""Takes left in a twin's recordings that never reached its footage: the app or the command was
closed, or crashed, in the middle of a take, or the take could not be added when it ended (the
twin busy, the disk full). Each is offered back, to be added or discarded."""

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop_twin.capture.combine import combine_recording, is_kept_take
from desktop_twin.capture.recording_format import VIDEO_FILE
from desktop_twin.capture.recording_reader import recorded_seconds
from desktop_twin.capture.session import MIN_TAKE_SECONDS, SESSION_NAME_FORMAT, TAKE_FOLDER, take_video_path
from desktop_twin.errors import UserError
from desktop_twin.store import TwinProject

# A take written to this recently may still be recording (in another window, or by the command line).
STILL_RECORDING_SECONDS = 30.0


@dataclass(frozen=True)
class LeftTake:
    tracks: Path  # the take's folder of tracks
    seconds: float
    started: datetime | None  # from its session folder's name

    @property
    def video(self) -> Path:
        """Where the take goes as one video file, under the name a finished take is added as."""
        return take_video_path(self.tracks)

    def describe(self) -> str:
        """'a take of 72 s from 27 Nov 2026 at 21:30'"""
        when = f" from {self.started:%d %b %Y at %H:%M}" if self.started else ""
        return f"a take of {self.seconds:.0f} s{when}"


def left_takes(project: TwinProject) -> list[LeftTake]:
    """The twin's takes not in its footage, oldest first; those under a second, nothing to add, and
    any still being written are left out."""
    added = {entry.source_name for entry in project.manifest.footage}
    folder = project.recordings_dir
    sessions = sorted(path for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []
    takes = []
    for session in sessions:
        tracks = session / TAKE_FOLDER
        if not is_kept_take(tracks) or take_video_path(tracks).name in added or _still_recording(tracks):
            continue
        try:
            seconds = recorded_seconds(tracks)
        except (OSError, ValueError, UserError):
            continue  # not readable as a recording: nothing that could be added
        if seconds >= MIN_TAKE_SECONDS:
            takes.append(LeftTake(tracks, seconds, _started(session.name)))
    return takes


def take_video(take: LeftTake, on_progress: Callable[[float], None] | None = None) -> Path:
    """The take as one video file: the one already made when it ended, else made now."""
    if take.video.is_file():  # written whole (combine_recording renames it into place), then not added
        return take.video
    return combine_recording(take.tracks, take.video, on_progress)


def discard_take(take: LeftTake) -> None:
    """Delete the take's tracks and video; its session's consent record stays."""
    shutil.rmtree(take.tracks)
    take.video.unlink(missing_ok=True)


def _still_recording(tracks: Path) -> bool:
    try:
        return time.time() - (tracks / VIDEO_FILE).stat().st_mtime < STILL_RECORDING_SECONDS
    except OSError:
        return False


def _started(session_name: str) -> datetime | None:
    try:
        return datetime.strptime(session_name, SESSION_NAME_FORMAT)
    except ValueError:
        return None
