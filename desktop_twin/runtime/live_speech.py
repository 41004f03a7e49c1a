"""The twin speaking live: what a microphone hears (or an audio file played aloud) moves its mouth,
a frame at a time, in the background.

One thread besides PortAudio's. The microphone's callback only copies into its ring buffer
(capture.microphones); the speech thread drains it, turns the new sound into log-mel rows
(MelStream), and as soon as a video frame's window of sound is complete (its look-ahead included)
makes that frame: mouth model, blinks and head drift, sketch, renderer, composite. When making a
frame takes longer than a frame lasts, the thread skips to the newest complete one, so the twin
shows the voice as it is now rather than falling behind.

Latency, per frame: from the moment the sound the frame shows reached the microphone (PortAudio's
capture time of that sample) to the moment the frame is ready. It is look-ahead, the audio
buffers on the way in, and the frame's own computation. A file's sound counts from when the speaker
plays it (runtime.voice_file): the frame is handed the sound before it is heard, so its latency is
what the eye sees, the picture's delay behind the sound.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import sounddevice as sd

from desktop_twin.capture.audio import MEL_BINS, SAMPLE_RATE
from desktop_twin.capture.microphones import Microphone, find_microphone, to_float
from desktop_twin.runtime.audio_drive import LiveLoudness, SpeakingTwin
from desktop_twin.runtime.frame_slot import FrameSlot
from desktop_twin.runtime.mel_stream import MelStream
from desktop_twin.runtime.stage_times import RateMeter, Stopwatch
from desktop_twin.runtime.twin_assets import TwinAssets
from desktop_twin.runtime.voice_file import VoiceFile
from desktop_twin.training.motion_features import MEL_RATE

POLL_SECONDS = 0.004  # how often the speech thread looks for new sound
STOP_TIMEOUT_SECONDS = 5.0
HISTORY_ROWS = 400  # normalised mel rows kept (4 s), far more than a window


@dataclass(frozen=True)
class SpeakingFrame:
    twin_bgr: np.ndarray
    time_seconds: float  # the moment of the sound this frame shows, seconds since the stream began
    captured: float  # time.monotonic() when that sound reached the microphone
    ready: float  # time.monotonic() when the frame was ready
    offsets: np.ndarray  # the mouth's offsets (points, 2), eye distances
    timings_ms: dict[str, float]
    frames: int  # frames delivered so far, this one included
    skipped: int  # frames skipped so far because making frames fell behind
    fps: float  # frames delivered per second, recently

    @property
    def latency_ms(self) -> float:
        return (self.ready - self.captured) * 1000.0


class _CaptureClock:
    """Monotonic capture time of any sample of the stream, from the latest block's timing."""

    def __init__(self, rate: int):
        self.rate = rate
        self._anchor: tuple[int, float] | None = None  # (sample index, monotonic time it was captured)

    def update(self, blocks: np.ndarray) -> None:
        if len(blocks):
            first, _, callback_time, capture_age = blocks[-1]
            self._anchor = (int(first), float(callback_time - capture_age))

    def time_of(self, sample: float) -> float:
        index, at = self._anchor
        return at + (sample - index) / self.rate


class _Resampler:
    """16-bit microphone samples at any rate -> float32 at the model's 16 kHz."""

    def __init__(self, rate: int):
        self.rate = rate
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE) if rate != SAMPLE_RATE else None

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        if self._resampler is None:
            return to_float(samples.reshape(-1))
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.reshape(1, -1)), format="s16", layout="mono")
        frame.sample_rate = self.rate
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out) if out else np.zeros(0, np.float32)


def microphone_rate(device_index: int) -> int:
    """16 kHz when the device gives it (no resampling), else its preferred rate."""
    try:
        sd.check_input_settings(device_index, channels=1, dtype="int16", samplerate=SAMPLE_RATE)
        return SAMPLE_RATE
    except sd.PortAudioError:
        return 0  # let the microphone choose


class LiveSpeech:
    def __init__(self, bundle, microphone: int | str | None = None, providers: list[str] | None = None,
                 fps: float = 25.0, on_frame: Callable[[SpeakingFrame], None] | None = None, seed: int = 0,
                 on_sound: Callable[[np.ndarray], None] | None = None, sound_file: Path | None = None,
                 speaker: int | str | None = None):
        """bundle: a read .twin (or its TwinAssets); microphone: an index or (part of) a name, None for the
        default; or sound_file, a sound (or a video's) to play aloud on `speaker` (None: the default) and
        speak, to its end. on_frame sees each frame, on_sound the sound as the model hears it (float32 at
        16 kHz), both on the speech thread. The models load and the microphone is found (or the file
        read) here: a twin that cannot speak, a missing microphone or a file with no sound fails before
        anything starts."""
        assets = bundle if isinstance(bundle, TwinAssets) else TwinAssets.from_bundle(bundle)
        self.twin = SpeakingTwin(assets, providers, seed)
        self.voice_file = VoiceFile(sound_file, speaker) if sound_file is not None else None
        self.microphone_info = find_microphone(microphone) if sound_file is None else None
        self.fps = fps
        self.on_frame = on_frame
        self.on_sound = on_sound
        self.output: FrameSlot[SpeakingFrame] = FrameSlot()
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._microphone: Microphone | VoiceFile | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("already started; make a new LiveSpeech to start again")
        if self.voice_file is not None:
            self._microphone = self.voice_file
        else:
            rate = microphone_rate(self.microphone_info.index)
            self._microphone = Microphone(self.microphone_info, rate or None)
        self._microphone.start()
        self._thread = threading.Thread(target=self._run, name="twin-speech", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(STOP_TIMEOUT_SECONDS)
        if self._microphone is not None:
            self._microphone.stop()
        self.output.close()

    def latest(self, timeout: float | None = None) -> SpeakingFrame | None:
        return self.output.take(timeout)

    def __enter__(self) -> "LiveSpeech":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the speech thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            _SpeechLoop(self).run()
        except Exception as error:  # a microphone unplugged mid-way: kept for the caller, not swallowed
            self.error = error
        finally:
            self.finished.set()


class _SpeechLoop:
    def __init__(self, owner: LiveSpeech):
        self.owner = owner
        self.twin = owner.twin
        microphone = owner._microphone
        self.microphone = microphone
        self.clock = _CaptureClock(microphone.sample_rate)
        self.resample = _Resampler(microphone.sample_rate)
        self.mel = MelStream()
        self.loudness = LiveLoudness(self.twin.speech)
        self.history = np.zeros((0, MEL_BINS), np.float32)  # normalised rows history_start..mel.rows-1
        self.history_start = 0
        self.offset = 0.0
        self.next_frame = 0
        self.delivered = self.skipped = 0
        self.rate = RateMeter()
        voice_file = owner.voice_file
        # A file's last frame: the last whose moment has sound (a microphone has no last frame).
        self.last_frame = math.ceil(voice_file.seconds * owner.fps) - 1 if voice_file is not None else None

    def run(self) -> None:
        while not self.owner._stopping.is_set():
            chunk = self.microphone.drain()
            if not len(chunk.samples):
                if self.microphone.ended:
                    self._hear_the_end()
                    return  # a file, played to its end
                time.sleep(POLL_SECONDS)
                continue
            self.clock.update(chunk.blocks)
            self._hear(self.resample(chunk.samples))

    def _hear(self, sound: np.ndarray) -> None:
        if self.owner.on_sound is not None:
            self.owner.on_sound(sound)
        rows = self.mel.push(sound)
        if len(rows):
            self.offset = self.loudness.offset(rows)
            self._remember(rows + np.float32(self.offset))
            self._make_newest_frame()

    def _hear_the_end(self) -> None:
        """A file's last frames: their look-ahead is silence, heard a mel row at a time so that none
        is skipped."""
        for _ in range(self.twin.speech.frames_after + self.mel.window // self.mel.hop + 1):
            self._hear(np.zeros(self.mel.hop, np.float32))

    def _remember(self, rows: np.ndarray) -> None:
        self.history = np.concatenate([self.history, rows])
        if len(self.history) > HISTORY_ROWS:
            self.history_start += len(self.history) - HISTORY_ROWS
            self.history = self.history[-HISTORY_ROWS:]

    def _make_newest_frame(self) -> None:
        after = self.twin.speech.frames_after
        newest_centre = self.mel.rows - 1 - after
        newest = int(np.floor(newest_centre / MEL_RATE * self.owner.fps + 1e-9))
        if self.last_frame is not None:
            newest = min(newest, self.last_frame)
        if newest < self.next_frame:
            return
        self.skipped += newest - self.next_frame
        self.next_frame = newest + 1
        time_seconds = newest / self.owner.fps
        clock = Stopwatch()
        centre = round(time_seconds * MEL_RATE) - self.history_start
        window = self.twin.mouth.window_at(self.history, centre, self.offset)
        offsets = self.twin.mouth.offsets(window)
        clock.lap("mouth")
        frame = self.twin.frame(offsets, time_seconds)
        ready = time.monotonic()
        self.delivered += 1
        self.rate.tick(ready)
        captured = self.clock.time_of(time_seconds * self.microphone.sample_rate)
        result = SpeakingFrame(frame.twin_bgr, time_seconds, captured, ready, offsets,
                               {"mouth": clock.laps["mouth"], **frame.timings_ms}, self.delivered, self.skipped,
                               self.rate.rate())
        self.owner.output.put(result)
        if self.owner.on_frame is not None:
            self.owner.on_frame(result)
