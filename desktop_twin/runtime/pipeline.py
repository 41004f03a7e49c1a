"""The live twin: a driver camera (or video file) drives the twin, frame after frame, in the background.

Two threads. The capture thread reads the camera at its own pace and leaves each frame in a
one-slot queue; the one inference thread takes the newest frame, makes the twin's frame
(tracking, retargeting, sketch, renderer, composite) and delivers it. When inference is
slower than the camera, frames that waited are dropped, so the twin shows the driver as
they are now rather than falling further behind. No Qt: a window polls latest() from a
timer, or passes on_frame (called on the inference thread).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_twin.capture.cameras import Camera, Frame, open_camera
from desktop_twin.runtime.driven_twin import DrivenTwin
from desktop_twin.runtime.frame_slot import FrameSlot
from desktop_twin.runtime.stage_times import RateMeter, StageTimes
from desktop_twin.runtime.twin_assets import TwinAssets

POLL_SECONDS = 0.5  # how often an idle inference thread looks whether it should stop
STOP_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class PipelineStats:
    stage_ms: dict[str, float]  # median milliseconds per stage over recent frames (stage_times.STAGES)
    fps: float  # twin frames delivered per second, recently
    frames: int  # twin frames delivered since start
    dropped_frames: int  # driver frames dropped as stale before inference took them
    providers: dict[str, str]  # model -> the ONNX Runtime provider it really runs on
    calibrated: bool  # the driver's neutral face is set
    face_found: bool  # the latest driver frame showed a face


@dataclass(frozen=True)
class LiveFrame:
    driver_bgr: np.ndarray
    twin_bgr: np.ndarray
    stats: PipelineStats
    captured: float  # time.monotonic() when the camera captured the driver frame
    latency_ms: float  # from that capture to this twin frame being ready


class LivePipeline:
    def __init__(self, bundle, source: int | str | Path = 0, providers: list[str] | None = None,
                 on_frame: Callable[[LiveFrame], None] | None = None, head_motion: bool = True):
        """bundle: a read .twin (or its TwinAssets); source: a camera index or name, or a video file.
        The models load here, so a twin that cannot run fails before anything starts."""
        assets = bundle if isinstance(bundle, TwinAssets) else TwinAssets.from_bundle(bundle)
        self.twin = DrivenTwin(assets, providers, head_motion)
        self.source = source
        self.on_frame = on_frame
        self.output: FrameSlot[LiveFrame] = FrameSlot()  # the newest twin frame, for a poller
        self.error: BaseException | None = None  # what stopped the pipeline, when something did
        self.finished = threading.Event()  # set when the inference thread has ended
        self._input: FrameSlot[Frame] = FrameSlot()
        self._camera: Camera | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._recalibrate = threading.Event()
        self._times, self._rate = StageTimes(), RateMeter()
        self._delivered, self._face_found = 0, False

    # -- control, from any thread ------------------------------------------------------------

    def start(self) -> None:
        """Open the driver source and start both threads; a missing or busy camera raises here."""
        if self._threads:
            raise RuntimeError("the pipeline was already started; make a new one to start again")
        self._camera = open_camera(self.source)
        self._threads = [threading.Thread(target=self._capture_loop, name="twin-capture", daemon=True),
                         threading.Thread(target=self._inference_loop, name="twin-inference", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop both threads and release the camera; safe to call more than once."""
        self._stopping.set()
        self._input.close()
        for thread in self._threads:
            if thread is not threading.current_thread():  # stop() may come from on_frame
                thread.join(STOP_TIMEOUT_SECONDS)
        if self._camera is not None:
            self._camera.close()
        self.output.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the end of a video source (or a failure); True when it has ended."""
        return self.finished.wait(timeout)

    def recalibrate(self) -> None:
        """Take the driver's neutral face again over the next second (e.g. another person sat down)."""
        self._recalibrate.set()

    def latest(self, timeout: float | None = None) -> LiveFrame | None:
        """The newest twin frame not yet taken, waiting up to timeout seconds; None if none came."""
        return self.output.take(timeout)

    def stats(self) -> PipelineStats:
        return PipelineStats(self._times.medians(), self._rate.rate(), self._delivered, self._input.dropped,
                             self.twin.providers, self.twin.retargeter.calibrated, self._face_found)

    def __enter__(self) -> "LivePipeline":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the threads -------------------------------------------------------------------------

    def _capture_loop(self) -> None:
        try:
            while not self._stopping.is_set():
                frame = self._camera.read()
                if frame is None:  # the end of a video file
                    break
                self._input.put(frame)
        except Exception as error:  # a camera unplugged mid-way: kept for the caller, not swallowed
            self.error = error
        finally:
            self._input.close()

    def _inference_loop(self) -> None:
        try:
            while not self._stopping.is_set():
                frame = self._input.take(POLL_SECONDS)
                if frame is None:
                    if self._input.closed:
                        break
                    continue
                self._deliver(frame)
        except Exception as error:
            self.error = error
            self._stopping.set()
        finally:
            self.finished.set()

    def _deliver(self, frame: Frame) -> None:
        if self._recalibrate.is_set():
            self._recalibrate.clear()
            self.twin.retargeter.recalibrate()
        result = self.twin.process(frame.image, frame.time)
        done = time.monotonic()
        self._times.add(result.timings_ms)
        self._rate.tick(done)
        self._delivered += 1
        self._face_found = result.face_found
        live = LiveFrame(frame.image, result.twin_bgr, self.stats(), frame.time, (done - frame.time) * 1000.0)
        self.output.put(live)
        if self.on_frame is not None:
            self.on_frame(live)
