"""Microphones through sounddevice (PortAudio): list them, open one, stream into a ring buffer."""

import time
from dataclasses import dataclass

import numpy as np
import sounddevice as sd

from desktop_twin.capture.errors import DeviceBusyError, DeviceLostError, NoDeviceError
from desktop_twin.capture.ring_buffer import AudioChunk, AudioRingBuffer

PREFERRED_SAMPLE_RATE = 48_000  # webrtcvad takes 48 kHz directly; most microphones deliver it
RING_SECONDS = 20.0  # how long the recorder may stall before audio is dropped
SILENT_DEVICE_SECONDS = 2.0  # a running stream that delivers nothing this long is gone
_PA_DEVICE_UNAVAILABLE = -9985
_open_streams: set = set()  # PortAudio must not be restarted under these (microphones, a speaker playing a file)


@dataclass(frozen=True)
class MicrophoneInfo:
    index: int
    name: str
    host_api: str
    channels: int
    default_sample_rate: float
    is_default: bool


def list_microphones(rescan: bool = False) -> list[MicrophoneInfo]:
    """Every input device PortAudio sees; rescan=True picks up devices plugged in since start
    (unless a microphone is recording: then the list stays as it was)."""
    if rescan:
        _rescan_devices()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError:
        return []
    try:
        default_input = sd.query_devices(kind="input")["index"]
    except sd.PortAudioError:  # no default input device
        default_input = None
    host_apis = sd.query_hostapis()
    return [
        MicrophoneInfo(
            index=d["index"],
            name=d["name"],
            host_api=host_apis[d["hostapi"]]["name"],
            channels=d["max_input_channels"],
            default_sample_rate=d["default_samplerate"],
            is_default=d["index"] == default_input,
        )
        for d in devices
        if d["max_input_channels"] > 0
    ]


def find_microphone(device: int | str | None = None) -> MicrophoneInfo:
    """The default microphone, or one by index or by (part of) its name."""
    microphones = list_microphones()
    if not microphones:
        raise NoDeviceError("No microphone found. Plug one in (or enable it in the system settings) and try again.")
    if device is None:
        return next((m for m in microphones if m.is_default), microphones[0])
    if isinstance(device, int) or str(device).isdigit():
        match = [m for m in microphones if m.index == int(device)]
    else:  # the name itself first: "default" is also part of "sysdefault", which may come before it
        wanted = str(device).casefold()
        match = ([m for m in microphones if m.name.casefold() == wanted]
                 or [m for m in microphones if wanted in m.name.casefold()])
    if not match:
        names = ", ".join(f"{m.index}: {m.name}" for m in microphones)
        raise NoDeviceError(f"There is no microphone {device!r}. Microphones found: {names}.")
    return match[0]


def choose_sample_rate(info: MicrophoneInfo) -> int:
    try:
        sd.check_input_settings(info.index, channels=1, dtype="int16", samplerate=PREFERRED_SAMPLE_RATE)
        return PREFERRED_SAMPLE_RATE
    except sd.PortAudioError:
        return int(info.default_sample_rate)


class Microphone:
    """A mono 16-bit input stream; the callback only copies into a ring buffer, drain() empties it."""

    def __init__(self, info: MicrophoneInfo, sample_rate: int | None = None):
        self.info = info
        self.sample_rate = sample_rate or choose_sample_rate(info)
        self.ring = AudioRingBuffer(int(RING_SECONDS * self.sample_rate), channels=1)
        self.device_overflows = 0  # blocks PortAudio flagged: samples lost before they reached us
        self._stream: sd.InputStream | None = None
        self._last_data_time = 0.0

    @property
    def ended(self) -> bool:
        return False  # a microphone has no end of its own (a file played as a voice has: runtime.voice_file)

    @property
    def overflows(self) -> int:
        return self.device_overflows + self.ring.dropped_blocks

    def start(self) -> None:
        """Open and start the stream; each start begins a fresh stream, sample 0 and all."""
        self.ring = AudioRingBuffer(int(RING_SECONDS * self.sample_rate), channels=1)
        self.device_overflows = 0
        try:
            self._stream = sd.InputStream(
                device=self.info.index, samplerate=self.sample_rate, channels=1, dtype="int16",
                callback=self._on_audio,
            )
            self._stream.start()
        except sd.PortAudioError as error:
            self._stream = None
            raise _open_error(self.info, error) from None
        hold_portaudio(self)
        self._last_data_time = time.monotonic()

    def _on_audio(self, indata, frames, times, status) -> None:
        # PortAudio's thread: copy and timestamp only. The capture age (how long ago the
        # first sample reached the converter) comes from PortAudio's own clock as a difference,
        # so it does not matter which clock PortAudio uses.
        if status.input_overflow:
            self.device_overflows += 1
        self.ring.write(indata, time.monotonic(), times.currentTime - times.inputBufferAdcTime)

    def drain_first(self) -> AudioChunk:
        """drain() before the first sound: no sound yet is a device slow to start, not one gone, and
        the silence that would mean one is gone is counted from the first sound."""
        chunk = self.ring.drain()
        if len(chunk.samples):
            self._last_data_time = time.monotonic()
        return chunk

    def drain(self) -> AudioChunk:
        """Audio captured since the last call; raises DeviceLostError when the device has gone."""
        chunk = self.ring.drain()
        now = time.monotonic()
        if len(chunk.samples):
            self._last_data_time = now
        elif self._stream is not None and (
            not self._stream.active or now - self._last_data_time > SILENT_DEVICE_SECONDS
        ):
            raise DeviceLostError(
                f"The microphone {self.info.name!r} stopped delivering sound (unplugged?)."
            )
        return chunk

    def stop(self) -> None:
        if self._stream is None:
            return
        close_stream(self._stream)
        self._stream = None
        release_portaudio(self)


def hold_portaudio(owner) -> None:
    """Keep PortAudio from being restarted (a device rescan) while `owner` has a stream open."""
    _open_streams.add(owner)


def release_portaudio(owner) -> None:
    _open_streams.discard(owner)


def close_stream(stream: sd.InputStream | sd.OutputStream) -> None:
    """Abort, not stop: stop waits for pending buffers, which for a device that has gone silent can
    block for many seconds, and what was captured (or played) is already in hand."""
    try:
        stream.abort()
        stream.close()
    except sd.PortAudioError:
        pass  # a device that vanished cannot be stopped; it is closed either way


def _open_error(info: MicrophoneInfo, error: sd.PortAudioError) -> Exception:
    code = error.args[1] if len(error.args) > 1 else None
    if code == _PA_DEVICE_UNAVAILABLE or "busy" in str(error).lower():
        return DeviceBusyError(
            f"The microphone {info.name!r} is in use by another program. Close that program and try again."
        )
    return NoDeviceError(f"The microphone {info.name!r} cannot be opened ({error}). Check that it is plugged in.")


def _rescan_devices() -> None:
    # PortAudio enumerates devices once, at initialisation; re-initialising it is the only
    # way to see a device plugged in (or a sound server started) after the app started.
    # Doing so under an open stream would crash PortAudio.
    if _open_streams:
        return
    sd._terminate()
    sd._initialize()


def to_float(samples: np.ndarray) -> np.ndarray:
    """16-bit samples as float32 in [-1, 1]."""
    return samples.astype(np.float32) / 32768.0
