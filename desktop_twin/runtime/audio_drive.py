"""The twin driven by sound: audio -> log-mel -> mouth motion -> landmarks -> sketch -> renderer -> frame.

- MouthModel runs the .twin's audio-to-motion ONNX model on one window of log-mel rows.
- Loudness: rows are normalised by the input's speech level (training.motion_features), over a
  whole file, or over the recent seconds of a live stream (LiveLoudness).
- SpeakingTwin puts the mouth's offsets on the twin's neutral face, adds the person's own blinks
  and head drift (IdlePlayer), and renders and composites the frame as the face-driven twin does.

Frame f of a video at `fps` shows the sound at f / fps seconds: the mel row centred there, with
frames_before rows of the past and frames_after of look-ahead around it.
"""

from collections import deque

import numpy as np

from desktop_twin.errors import UserError
from desktop_twin.face.quality import eye_distance
from desktop_twin.runtime.driven_twin import TwinFrame, TwinPainter
from desktop_twin.runtime.idle_player import IdlePlayer
from desktop_twin.runtime.retarget import Retargeted, identity_motion, uncross_lips
from desktop_twin.runtime.sessions import open_session
from desktop_twin.runtime.stage_times import Stopwatch
from desktop_twin.runtime.twin_assets import SpeechSettings, TwinAssets
from desktop_twin.training.motion_features import (
    MEL_RATE, SILENCE_LOG_MEL, frame_log_power, loudness_offset, mel_row, mel_window, speech_level)

LIVE_LEVEL_SECONDS = 8.0  # the live path's speech level: over the last seconds of sound
MOUTH_THREADS = 1  # a few hundred thousand multiply-adds: one thread, leave the rest to the renderer


def speech_of(assets: TwinAssets) -> SpeechSettings:
    if assets.speech is None:
        raise UserError(f"The twin {assets.name!r} cannot speak: its .twin file has no speech model. "
                        f"Train it again with footage that has sound (desktop-twin train), then export it.")
    return assets.speech


class MouthModel:
    """The audio-to-motion model through ONNX Runtime (on the CPU: it is tiny, and a GPU round trip
    per frame would cost more than it saves)."""

    def __init__(self, speech: SpeechSettings):
        chosen = open_session(speech.onnx, ["CPUExecutionProvider"], MOUTH_THREADS)
        self.session, self.provider = chosen.session, chosen.provider
        self.speech = speech

    @property
    def window(self) -> int:
        return self.speech.frames_before + 1 + self.speech.frames_after

    def offsets(self, window: np.ndarray) -> np.ndarray:
        """(points, 2) offsets in eye distances for one (window, mel_bins) normalised window."""
        (out,) = self.session.run([self.speech.output_name],
                                  {self.speech.input_name: np.ascontiguousarray(window[None], np.float32)})
        return out[0]

    def window_at(self, normalised_mel: np.ndarray, row: int, offset: float) -> np.ndarray:
        """The model's window centred on `row` of a normalised mel array; silence beyond its ends."""
        return mel_window(normalised_mel, row, self.speech.frames_before, self.speech.frames_after,
                          SILENCE_LOG_MEL + offset)


def file_offsets(model: MouthModel, mel: np.ndarray, frame_times: np.ndarray) -> np.ndarray:
    """(frames, points, 2) mouth offsets of a whole sound's log-mel at each frame time, the loudness
    normalised over the whole sound."""
    offset = loudness_offset(speech_level(mel), model.speech.speech_level)
    normalised = mel + np.float32(offset)
    return np.stack([model.offsets(model.window_at(normalised, mel_row(t), offset)) for t in frame_times])


class LiveLoudness:
    """The speech level of a live stream: a high percentile of the last seconds' row powers, never
    below the twin's own level minus the largest boost."""

    def __init__(self, speech: SpeechSettings, seconds: float = LIVE_LEVEL_SECONDS):
        self.speech = speech
        self._powers = deque(maxlen=round(seconds * MEL_RATE))

    def offset(self, rows: np.ndarray) -> float:
        """Take new raw mel rows; the offset that normalises them."""
        self._powers.extend(frame_log_power(rows).tolist())
        level = float(np.percentile(self._powers, 95)) if self._powers else -np.inf
        return loudness_offset(level, self.speech.speech_level)


class SpeakingTwin:
    """Mouth offsets and a time in, the twin's frame out: blinks, head drift, sketch, renderer, composite."""

    def __init__(self, assets: TwinAssets, providers: list[str] | None = None, seed: int = 0):
        self.assets = assets
        self.speech = speech_of(assets)
        self.mouth = MouthModel(self.speech)
        self.painter = TwinPainter(assets, providers)
        self.renderer = self.painter.renderer
        self.idle = IdlePlayer(assets.idle, assets.canonical_size, seed) if assets.idle is not None else None
        self._neutral = np.asarray(assets.neutral_landmarks, np.float32)
        self._scale = np.float32(eye_distance(self._neutral))

    @property
    def providers(self) -> dict[str, str]:
        return {"renderer": self.renderer.provider, "audio_motion": self.mouth.provider}

    def pose(self, offsets: np.ndarray, time_seconds: float) -> Retargeted:
        """The twin's landmarks (canonical crop pixels) and head motion for mouth offsets at a time."""
        landmarks = self._neutral.copy()
        landmarks[self.speech.points, :2] += offsets * self._scale
        if self.idle is None:
            return Retargeted(uncross_lips(landmarks), identity_motion())
        self.idle.blink(landmarks, time_seconds)
        return Retargeted(uncross_lips(landmarks), self.idle.head_motion(time_seconds))

    def frame(self, offsets: np.ndarray, time_seconds: float) -> TwinFrame:
        clock = Stopwatch()
        twin_bgr, in_frame = self.painter.paint(self.pose(offsets, time_seconds), clock)
        return TwinFrame(twin_bgr, True, in_frame, clock.total())
