"""Measuring the live twin's latency: real speech played into the PulseAudio test microphone.

The speech enters the virtual microphone on a schedule (monotonic time T0 for its first sample).
The sound the twin heard is matched to the speech (cross-correlation, a second at a time, so a
glitch of the test's playback on a busy machine spoils one window, not the match), so each
frame's moment of sound is known on the speech's own clock, hence when it was spoken; the frame's
latency is from then to when the frame was ready. No clock of the audio stack is trusted for this.
"""

import time
from dataclasses import dataclass

import numpy as np
import av

from desktop_twin.capture.audio import SAMPLE_RATE, read_audio
from desktop_twin.runtime.live_speech import LiveSpeech, SpeakingFrame
from tests.capture.rig import PLAYBACK_RATE, ScheduledPlayer, windowed_audio_lags

SETTLE_SECONDS = 1.5  # the stream runs silent this long first
LEAD_SILENCE_SECONDS = 1.0


@dataclass
class LatencyRun:
    frames: list[SpeakingFrame]
    heard: np.ndarray  # what the twin heard, 16 kHz
    speech: np.ndarray  # what was played, 16 kHz, silence before it included
    start: float  # monotonic time the played sound's first sample entered the microphone
    lag_seconds: float  # where the played sound starts in what was heard (median over windows)
    matched_windows: int  # one-second windows of what was heard that clearly match the played sound

    def spoken_at(self, frame: SpeakingFrame) -> float:
        """When the sound this frame shows entered the microphone."""
        return self.start + frame.time_seconds - self.lag_seconds

    def latencies_ms(self) -> np.ndarray:
        """Per frame during the played sound: ready minus spoken, milliseconds."""
        end = self.start + len(self.speech) / SAMPLE_RATE
        return np.array([(f.ready - self.spoken_at(f)) * 1000 for f in self.frames
                         if self.start <= self.spoken_at(f) <= end])


def resampled(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate_out)
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
    frame.sample_rate = rate_in
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out)


def measure(bundle, device: str, speech_path, tail_seconds: float = 1.0) -> LatencyRun:
    speech = read_audio(speech_path)
    speech = speech / max(np.abs(speech).max(), 1e-6) * 0.5
    played = np.concatenate([np.zeros(round(LEAD_SILENCE_SECONDS * SAMPLE_RATE), np.float32), speech,
                             np.zeros(round(tail_seconds * SAMPLE_RATE), np.float32)])
    frames, heard = [], []
    live = LiveSpeech(bundle, microphone=device, on_frame=frames.append, on_sound=heard.append)
    with ScheduledPlayer(device) as player, live:
        time.sleep(SETTLE_SECONDS)
        start = time.monotonic() + 0.2
        player.play(resampled(played, SAMPLE_RATE, PLAYBACK_RATE), at=start)
        time.sleep(0.2 + len(played) / SAMPLE_RATE + 0.5)
    if live.error is not None:
        raise live.error
    heard = np.concatenate(heard)
    lags = windowed_audio_lags(heard, played, SAMPLE_RATE)
    return LatencyRun(frames, heard, played, start, float(np.median(lags)) if len(lags) else np.nan, len(lags))
