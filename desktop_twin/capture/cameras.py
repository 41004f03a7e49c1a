"""Cameras through OpenCV's VideoCapture: a device, a video file or an image sequence, one code path.

A file plays back in real time at its own frame rate, as a camera would deliver it, so
that recording from a file exercises the same timing as recording from a webcam.
"""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_twin.capture.errors import DeviceBusyError, DeviceLostError, NoDeviceError

PROBE_INDICES = 10  # where no device list exists (not Linux), indices tried
PROBE_FRAMES = 12  # frames read to measure what a camera really delivers
LOST_AFTER_SECONDS = 2.0  # a live camera failing to deliver this long is gone
DEFAULT_FILE_FPS = 25.0  # for image sequences, which carry no frame rate
RESUME_AFTER_SECONDS = 1.0  # a file read this late was paused, not slow: it does not skip ahead
DRIVER_TIMESTAMP_MAX_AGE = 1.0  # seconds; older (or future) driver timestamps are not trusted


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR uint8
    time: float  # time.monotonic() at capture
    index: int  # frames delivered before this one


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str
    width: int
    height: int
    fps: float  # measured, not what the driver claims


def list_cameras(probe_frames: int = PROBE_FRAMES) -> list[CameraInfo]:
    """Cameras that open and deliver frames, with the size and frame rate they really deliver."""
    cameras = []
    for index in _candidate_indices():
        capture = cv2.VideoCapture(index)
        try:
            if not capture.isOpened():
                continue
            measured = _measure(capture, probe_frames)
        finally:
            capture.release()
        if measured:
            width, height, fps = measured
            cameras.append(CameraInfo(index, _device_name(index), width, height, fps))
    return cameras


def _candidate_indices() -> list[int]:
    if sys.platform.startswith("linux"):
        # Probing absent indices makes OpenCV print errors; /dev lists the real ones.
        nodes = Path("/dev").glob("video[0-9]*")
        return sorted(int(p.name[len("video"):]) for p in nodes if p.name[len("video"):].isdigit())
    return list(range(PROBE_INDICES))


def _measure(capture: cv2.VideoCapture, frames: int) -> tuple[int, int, float] | None:
    ok, image = capture.read()  # the first frame often takes long while the sensor starts
    if not ok:
        return None
    start = time.monotonic()
    delivered = 0
    for _ in range(frames):
        ok, image = capture.read()
        if not ok:
            break
        delivered += 1
    elapsed = time.monotonic() - start
    fps = delivered / elapsed if delivered and elapsed > 0 else capture.get(cv2.CAP_PROP_FPS)
    return image.shape[1], image.shape[0], round(float(fps), 1)


def _device_name(index: int) -> str:
    name_file = Path(f"/sys/class/video4linux/video{index}/name")
    try:
        return name_file.read_text().strip()
    except OSError:
        return f"Camera {index}"


def is_file_source(source: int | str | Path) -> bool:
    text = str(source)
    return not text.isdigit() and (Path(text).is_file() or "%" in text)


class Camera:
    """Frames with capture times on the monotonic clock; read() returns None at a file's end."""

    def __init__(self, capture: cv2.VideoCapture, description: str, file_fps: float | None):
        self._capture = capture
        self.description = description
        self.is_file = file_fps is not None
        self._file_fps = file_fps
        self._first_due: float | None = None
        self._delivered = 0
        self.dropped_frames = 0  # frames a file camera skipped to keep real time
        self.width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.fps = file_fps or _claimed_fps(capture)

    def read(self) -> Frame | None:
        return self._read_file() if self.is_file else self._read_device()

    def _read_file(self) -> Frame | None:
        now = time.monotonic()
        if self._first_due is None or now - self._due(self._delivered) > RESUME_AFTER_SECONDS:
            # First read, or the reader paused (between takes): play on from here.
            self._first_due = now - self._delivered / self._file_fps
        due = self._due(self._delivered)
        while now - due >= 1.0 / self._file_fps:  # late by a whole frame: drop, as a camera would
            if not self._capture.grab():
                return None
            self._delivered += 1
            self.dropped_frames += 1
            due = self._due(self._delivered)
        ok, image = self._capture.read()
        if not ok:
            return None
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        return self._deliver(image, due)

    def _due(self, index: int) -> float:
        return self._first_due + index / self._file_fps

    def _read_device(self) -> Frame:
        started = time.monotonic()
        while True:
            ok, image = self._capture.read()
            now = time.monotonic()
            if ok and image is not None:
                return self._deliver(image, self._capture_time(now))
            if now - started > LOST_AFTER_SECONDS:
                raise DeviceLostError(
                    f"The camera ({self.description}) stopped delivering pictures (unplugged, or taken "
                    "by another program?)."
                )
            time.sleep(0.01)

    def _capture_time(self, read_time: float) -> float:
        # V4L2 stamps buffers on the kernel's monotonic clock when the frame was captured,
        # which is earlier and steadier than when read() returned; use it when it is plausible.
        driver_ms = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        driver_time = driver_ms / 1000.0
        if 0.0 <= read_time - driver_time <= DRIVER_TIMESTAMP_MAX_AGE:
            return driver_time
        return read_time

    def _deliver(self, image: np.ndarray, capture_time: float) -> Frame:
        frame = Frame(image, capture_time, self._delivered)
        self._delivered += 1
        return frame

    def close(self) -> None:
        self._capture.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_camera(source: int | str | Path = 0) -> Camera:
    """A camera by index, by (part of) its name, or a video file or image sequence (img_%04d.png)."""
    if is_file_source(source):
        return _open_file(str(source))
    index = int(source) if str(source).isdigit() else _index_by_name(str(source))
    capture = cv2.VideoCapture(index)
    if not capture.isOpened() or not capture.read()[0]:
        capture.release()
        raise _device_error(index)
    return Camera(capture, f"camera {index}: {_device_name(index)}", file_fps=None)


def _open_file(path: str) -> Camera:
    is_sequence = "%" in path
    capture = cv2.VideoCapture(path, cv2.CAP_IMAGES if is_sequence else cv2.CAP_ANY)
    if not capture.isOpened():
        capture.release()
        what = "image sequence" if is_sequence else "video file"
        raise NoDeviceError(f"The {what} {path} cannot be read. Check the path and that it is a video.")
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if 1.0 <= fps <= 240.0 else DEFAULT_FILE_FPS
    return Camera(capture, Path(path).name, file_fps=fps)


def _index_by_name(name: str) -> int:
    indices = [i for i in _candidate_indices() if name.casefold() in _device_name(i).casefold()]
    if not indices:
        raise NoDeviceError(f"There is no camera called {name!r}, and no file by that name.")
    return indices[0]


def _device_error(index: int) -> Exception:
    node = Path(f"/dev/video{index}")
    if sys.platform.startswith("linux") and not node.exists():
        return NoDeviceError(
            f"There is no camera {index}. Plug a camera in, or pass a video file as the camera."
        )
    if sys.platform.startswith("linux"):
        return DeviceBusyError(
            f"Camera {index} is there but will not deliver pictures: another program (a video call?) "
            "is probably using it. Close that program and try again."
        )
    return NoDeviceError(
        f"Camera {index} cannot be opened: it is missing or another program is using it."
    )


def _claimed_fps(capture: cv2.VideoCapture) -> float:
    fps = capture.get(cv2.CAP_PROP_FPS)
    return float(fps) if 1.0 <= fps <= 240.0 else 30.0
