"""An audio file as the twin's voice: played aloud, and heard as a microphone would hear it.

The speech thread reads a VoiceFile as it reads a microphone (capture.microphones): drain() gives
the sound since the last call, with each block's timing. Here the timing is when the block will
be heard: PortAudio tells the output callback when its buffer reaches the speaker, so the latency
the twin reports is how late its picture comes after the sound, and a block heard in the future
counts from then. The twin is handed each sound LEAD_SECONDS before the speaker plays it, the time
it takes to make its frame, so that picture and sound arrive together (a file, unlike a voice, can
be read ahead). Once the file's last sound has been heard, `ended` is true.
"""

import time
from pathlib import Path

import numpy as np
import sounddevice as sd

from desktop_twin.capture.audio import SAMPLE_RATE, speech_samples
from desktop_twin.capture.errors import DeviceLostError, NoDeviceError
from desktop_twin.capture.microphones import RING_SECONDS, close_stream, hold_portaudio, release_portaudio
from desktop_twin.capture.ring_buffer import AudioChunk, AudioRingBuffer

LEAD_SECONDS = 0.1  # about the mouth model's look-ahead and a frame's making, on a 2-core CPU
STALL_SECONDS = 5.0  # a speaker this long without asking for sound has stopped (waking one can take 2)


class VoiceFile:
    """A sound file (or a video's sound) played through a speaker, at 16 kHz mono 16-bit."""

    sample_rate = SAMPLE_RATE

    def __init__(self, path: Path, speaker: int | str | None = None):
        self.path = Path(path)
        self.speaker = speaker  # a PortAudio output device; None: the default
        samples = speech_samples(self.path)  # a UserError names a file with no sound
        np.clip(samples, -1.0, 1.0, out=samples)
        samples *= 32767  # in place: an hour's sound is 230 MB of float32
        self.samples = samples.astype(np.int16).reshape(-1, 1)
        self.ring = AudioRingBuffer(int(RING_SECONDS * SAMPLE_RATE), channels=1)
        self.position = 0  # samples handed to the speaker so far
        self.fed = 0  # samples handed to the twin so far: LEAD_SECONDS ahead of the speaker
        self._last_heard = 0.0  # time.monotonic() when the last of them is heard
        self._last_call = 0.0  # time.monotonic() of the speaker's latest callback
        self._stream: sd.OutputStream | None = None

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def ended(self) -> bool:
        return self.position >= len(self.samples) and time.monotonic() >= self._last_heard

    def start(self) -> None:
        try:
            self._stream = sd.OutputStream(device=self.speaker, samplerate=self.sample_rate, channels=1,
                                           dtype="int16", callback=self._on_output)
            self._stream.start()
        except sd.PortAudioError as error:
            self._stream = None
            raise NoDeviceError(f"The sound cannot be played: no speaker could be opened ({error}).") from None
        self._last_call = time.monotonic()
        hold_portaudio(self)

    def _on_output(self, outdata, frames, times, status) -> None:
        # PortAudio's thread: copy only. This block is heard (outputBufferDacTime - currentTime) from
        # now, and what the twin is fed later still: a negative capture age on the ring's clock.
        block = self.samples[self.position:self.position + frames]
        outdata[:len(block)] = block
        outdata[len(block):] = 0
        now, ahead = time.monotonic(), times.outputBufferDacTime - times.currentTime
        self._last_call = now
        feed_to = min(self.position + frames + round(LEAD_SECONDS * self.sample_rate), len(self.samples))
        if feed_to > self.fed:
            heard_in = ahead + (self.fed - self.position) / self.sample_rate
            self.ring.write(self.samples[self.fed:feed_to], now, -heard_in)
            self.fed = feed_to
        if len(block):
            self._last_heard = now + ahead + len(block) / self.sample_rate
        self.position += len(block)

    def drain(self) -> AudioChunk:
        """The sound handed to the twin since the last call; raises DeviceLostError when the
        speaker stopped (or stalled) before the file's end."""
        chunk = self.ring.drain()
        stream = self._stream
        if not len(chunk.samples) and not self.ended and stream is not None and (
                not stream.active or time.monotonic() - self._last_call > STALL_SECONDS):
            raise DeviceLostError("The speaker stopped playing the sound (unplugged, or the sound system stalled).")
        return chunk

    def stop(self) -> None:
        if self._stream is not None:
            close_stream(self._stream)
            self._stream = None
            release_portaudio(self)
