"""Live analysis of a take: quality warnings and coverage from each frame and all the audio.

Landmarks come from any object with track(frame_bgr, time) returning None or something
with a (478, 3) `landmarks` array (the face layer's FaceTracker is one); without one,
only picture and sound quality are judged. The analysis may skip frames when it is
slower than the camera, never audio: BackgroundAnalysis runs it on its own thread with
a one-slot mailbox for frames, so the recorder never waits for it.
"""

import dataclasses
import queue
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from desktop_twin.capture import warnings as w
from desktop_twin.capture.audio_quality import AudioMeasures, AudioQualityMeter, audio_warnings
from desktop_twin.capture.coverage import Coverage, CoverageMeter
from desktop_twin.capture.face_geometry import face_box, measure_face
from desktop_twin.capture.image_quality import ImageMeasures, image_warnings, measure_image


class LandmarkSource(Protocol):
    def track(self, frame_bgr: np.ndarray, time_seconds: float) -> Any: ...


@dataclass(frozen=True)
class LiveReport:
    time: float
    warnings: tuple[w.QualityWarning, ...]
    coverage: Coverage
    image: ImageMeasures | None  # None: guidance failed before it measured a frame
    audio: AudioMeasures
    landmarks: np.ndarray | None  # for drawing on the preview


class LiveAnalyzer:
    def __init__(self, sample_rate: int, landmarks: LandmarkSource | None = None):
        self.landmark_source = landmarks
        self.audio = AudioQualityMeter(sample_rate)
        self.coverage = CoverageMeter()
        self.expect_speech = False  # set while a prompt asks the person to speak
        self._debouncer = w.WarningDebouncer()

    def add_audio(self, samples: np.ndarray) -> None:
        self.audio.add(samples)
        self.coverage.set_speech_seconds(self.audio.speech_seconds)

    def analyze_frame(self, image: np.ndarray, time: float) -> LiveReport:
        landmarks = self._landmarks(image, time)
        audio = self.audio.measures()
        if landmarks is not None:
            self.coverage.add_face(measure_face(landmarks), time, speaking=self.audio.speaking_recently())
        else:
            self.coverage.add_missing_face(time)
        picture = measure_image(image, face_box(landmarks) if landmarks is not None else None)
        found = image_warnings(picture, image.shape[0]) + audio_warnings(audio, self.expect_speech)
        if self.landmark_source is None:
            found = [x for x in found if x.code != w.NO_FACE.code]  # nothing looked for a face
        shown = tuple(self._debouncer.update(found, time))
        return LiveReport(time, shown, self.coverage.coverage(), picture, audio, landmarks)

    def _landmarks(self, image: np.ndarray, time: float) -> np.ndarray | None:
        if self.landmark_source is None:
            return None
        observation = self.landmark_source.track(image, time)
        return None if observation is None else np.asarray(observation.landmarks)


class BackgroundAnalysis:
    """A LiveAnalyzer on a worker thread: the newest frame only (stale ones dropped), all audio."""

    def __init__(self, analyzer: LiveAnalyzer):
        self.analyzer = analyzer
        self._frames: queue.Queue = queue.Queue(maxsize=1)
        self._audio: queue.Queue = queue.Queue()
        self._latest: LiveReport | None = None
        self._submitted_time = 0.0
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="live-analysis", daemon=True)
        self.frames_analyzed = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, image: np.ndarray, time: float, audio: np.ndarray) -> None:
        self._audio.put(audio)
        self._submitted_time = time
        try:
            self._frames.get_nowait()  # drop the stale frame nobody got to
        except queue.Empty:
            pass
        self._frames.put_nowait((image, time))

    def latest(self) -> LiveReport | None:
        """The newest report. After the analysis failed, the last one it made, saying so: guidance is
        a help, and its failure must not cost the person the take being recorded."""
        if self._error is None:
            return self._latest
        stopped = (w.guidance_stopped(self._error),)
        if self._latest is None:  # it failed on the first frame: the warning shows all the same
            return LiveReport(self._submitted_time, stopped, self.analyzer.coverage.coverage(), None,
                              self.analyzer.audio.measures(), None)
        return dataclasses.replace(self._latest, warnings=stopped)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    image, time = self._frames.get(timeout=0.1)
                except queue.Empty:
                    continue
                self._take_audio()
                self._latest = self.analyzer.analyze_frame(image, time)
                self.frames_analyzed += 1
        except Exception as error:  # shown by latest(), on the recorder's thread
            self._error = error

    def _take_audio(self) -> None:
        while True:
            try:
                self.analyzer.add_audio(self._audio.get_nowait())
            except queue.Empty:
                return
