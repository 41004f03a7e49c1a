"""The recording job: camera frames and microphone audio to a recording folder as they arrive.

One loop reads a frame, writes it, then drains the microphone's ring buffer and writes
that; the audio callback itself never waits on the disk. A lost device or a full disk
ends the take cleanly: the files hold everything up to that moment.
"""

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_twin.capture.cameras import Camera, Frame
from desktop_twin.capture.errors import DeviceLostError, DiskFullError
from desktop_twin.capture.microphones import Microphone
from desktop_twin.capture.recording_format import (
    AudioTrackWriter,
    RecordingMetadata,
    VideoTrackWriter,
    write_metadata,
)
from desktop_twin.capture.ring_buffer import AudioChunk
from desktop_twin.errors import UserError

MIN_FREE_BYTES = 500 * 1024 * 1024  # below this a take would stop within a minute or two
FIRST_AUDIO_TIMEOUT = 3.0  # seconds to wait for the microphone's first samples
STALE_FRAME_SECONDS = 0.1  # frames captured this long before the take began are not part of it
TAKE_KEPT = "The recording so far is kept."  # said by the recorder, which keeps it, not by the failing device


@dataclass(frozen=True)
class RecordingProgress:
    seconds: float  # since the first frame
    frames: int
    audio_seconds: float
    audio_overflows: int
    level_dbfs: float  # peak of the audio since the last event
    frame: Frame  # the newest frame, for a preview
    audio: AudioChunk  # the audio since the last event, for level meters and analysis


@dataclass(frozen=True)
class RecordingResult:
    folder: Path
    seconds: float
    frames: int
    audio_seconds: float
    audio_overflows: int
    dropped_frames: int
    stopped_early: bool  # a device was lost or the disk filled
    message: str  # for the user: how the take ended, and that what was recorded is kept
    cause: str = ""  # what stopped it early, alone: for a caller that keeps nothing of the take


class RecordingJob:
    """Record one take into folder; devices are opened and closed by the caller."""

    def __init__(self, camera: Camera, microphone: Microphone, folder: Path, seconds: float | None = None):
        self.camera = camera
        self.microphone = microphone
        self.folder = Path(folder)
        self.seconds = seconds
        self._cancel = threading.Event()

    def prepare(self) -> str:
        """Check that the take can start; raise a UserError if not, else say what will be recorded."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.folder.parent).free
        if free < MIN_FREE_BYTES:
            raise DiskFullError(
                f"Only {free // 2**20} MB are free on the disk holding {self.folder.parent}; "
                f"recording needs at least {MIN_FREE_BYTES // 2**20} MB. Free some space and try again."
            )
        length = f"{self.seconds:g} seconds" if self.seconds else "until stopped"
        return (f"Recording {length} from {self.camera.description} and "
                f"{self.microphone.info.name} ({self.microphone.sample_rate} Hz) into {self.folder}.")

    def cancel(self) -> None:
        """Stop after the current frame; what was recorded is kept."""
        self._cancel.set()

    def run(self, on_progress: Callable[[RecordingProgress], None] | None = None) -> RecordingResult:
        self.folder.mkdir(parents=True, exist_ok=False)
        metadata = self._metadata()
        write_metadata(self.folder, metadata)
        try:
            self.microphone.start()
        except UserError:  # missing or busy: nothing was recorded, leave nothing behind
            shutil.rmtree(self.folder)
            raise
        video, audio = VideoTrackWriter(self.folder), AudioTrackWriter(self.folder)
        message, cause = "", ""
        try:
            self._wait_for_first_audio(audio)
            message = self._record(video, audio, on_progress or (lambda progress: None))
        except (DeviceLostError, DiskFullError) as error:
            cause = str(error)
            message = f"{cause} {TAKE_KEPT}" if video.frames_written else cause
        finally:
            self.microphone.stop()
            self._finish(video, audio, metadata, message, stopped_early=bool(cause))
        return self._result(video, audio, message, cause)

    def _wait_for_first_audio(self, audio: AudioTrackWriter) -> None:
        # Starting the camera only once sound flows keeps the take free of leading silence.
        deadline = time.monotonic() + FIRST_AUDIO_TIMEOUT
        while not audio.samples_written:
            audio.write(self.microphone.drain_first())
            if time.monotonic() > deadline:
                raise DeviceLostError(
                    f"The microphone {self.microphone.info.name!r} delivers no sound. "
                    "Check that it is plugged in and not muted, or choose another."
                )
            time.sleep(0.005)

    def _record(self, video: VideoTrackWriter, audio: AudioTrackWriter, on_progress) -> str:
        first_time = None
        take_start = time.monotonic()
        while not self._cancel.is_set():
            frame = self.camera.read()
            if frame is None:
                return "The video file has ended."
            if first_time is None and frame.time < take_start - STALE_FRAME_SECONDS:
                continue  # a webcam's queued frames from before the take
            first_time = frame.time if first_time is None else first_time
            if self.seconds is not None and frame.time - first_time >= self.seconds:
                return "Finished."
            video.write(frame.image, frame.time)
            chunk = self.microphone.drain()
            audio.write(chunk)
            on_progress(self._progress(frame, first_time, video, audio, chunk))
        return "Stopped."

    def _progress(self, frame, first_time, video, audio, chunk) -> RecordingProgress:
        return RecordingProgress(
            seconds=frame.time - first_time,
            frames=video.frames_written,
            audio_seconds=audio.samples_written / self.microphone.sample_rate,
            audio_overflows=self.microphone.overflows,
            level_dbfs=peak_dbfs(chunk.samples),
            frame=frame,
            audio=chunk,
        )

    def _metadata(self) -> RecordingMetadata:
        return RecordingMetadata(
            camera=self.camera.description,
            fps=self.camera.fps,
            width=self.camera.width,
            height=self.camera.height,
            microphone=self.microphone.info.name,
            sample_rate=self.microphone.sample_rate,
        )

    def _finish(self, video, audio, metadata: RecordingMetadata, message: str, stopped_early: bool) -> None:
        try:
            audio.write(self.microphone.ring.drain())  # the last blocks, after the stream stopped
        except DiskFullError:
            pass
        video.close()
        audio.close()
        metadata.status = "stopped" if stopped_early else "finished"
        metadata.stop_reason = message
        metadata.frames = video.frames_written
        metadata.audio_seconds = audio.samples_written / self.microphone.sample_rate
        metadata.audio_overflows = self.microphone.overflows
        metadata.dropped_frames = self.camera.dropped_frames
        try:
            write_metadata(self.folder, metadata)
        except OSError:
            pass  # a full disk: the metadata written at the start still describes the tracks

    def _result(self, video, audio, message: str, cause: str) -> RecordingResult:
        return RecordingResult(
            folder=self.folder,
            seconds=video.seconds(self.camera.fps),
            frames=video.frames_written,
            audio_seconds=audio.samples_written / self.microphone.sample_rate,
            audio_overflows=self.microphone.overflows,
            dropped_frames=self.camera.dropped_frames,
            stopped_early=bool(cause),
            message=message,
            cause=cause,
        )


def peak_dbfs(samples: np.ndarray) -> float:
    """Peak level of 16-bit samples in dB below full scale (-inf for silence)."""
    if not len(samples):
        return float("-inf")
    peak = int(np.abs(samples.astype(np.int32)).max())
    return 20.0 * float(np.log10(peak / 32768.0)) if peak else float("-inf")
