"""Audio tracks of video files: decode to 16 kHz mono, log-mel features, speech detection."""

from pathlib import Path

import av
import numpy as np
import webrtcvad

from desktop_twin.errors import UserError

SAMPLE_RATE = 16_000
MEL_BINS = 80
MEL_HOP_SECONDS = 0.010  # 100 feature frames per second
MEL_WINDOW_SECONDS = 0.025
VAD_FRAME_SECONDS = 0.030
VAD_AGGRESSIVENESS = 2  # 0 (keeps most) .. 3 (keeps least)
MAX_SPEECH_SECONDS = 3600.0  # the longest sound a twin speaks in one go


def has_audio_track(path: Path) -> bool:
    try:
        with av.open(str(path)) as container:
            return len(container.streams.audio) > 0
    except av.FFmpegError:
        return False


def read_audio(path: Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray | None:
    """The first audio track as mono float32 in [-1, 1] at sample_rate; None when there is none."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(frame))
        except av.FFmpegError:
            pass  # a truncated file: keep what decoded
        chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
    if not chunks:
        return np.zeros(0, np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def speech_samples(path: Path) -> np.ndarray:
    """The sound of an audio or video file for a twin to speak, at 16 kHz mono, or a UserError
    saying why there is none."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist or is not a file.")
    try:
        samples = read_audio(path)
    except Exception as error:  # PyAV raises many kinds for files that are not audio
        reason = getattr(error, "strerror", None) or str(error)  # PyAV's errors carry FFmpeg's words there
        raise UserError(f"{path.name} cannot be read as sound ({reason}).") from None
    if samples is None or len(samples) == 0:
        raise UserError(f"{path.name} has no sound to speak.")
    if len(samples) / SAMPLE_RATE > MAX_SPEECH_SECONDS:
        raise UserError(f"{path.name} is longer than an hour: cut it into parts.")
    return samples


def log_mel(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Log-mel spectrogram, (frames, MEL_BINS) float32 at one frame per MEL_HOP_SECONDS."""
    hop = round(MEL_HOP_SECONDS * sample_rate)
    window = round(MEL_WINDOW_SECONDS * sample_rate)
    n_fft = 1 << (window - 1).bit_length()
    frames = max(1, 1 + (len(samples) - 1) // hop)
    padded = np.pad(samples, (window // 2, window + hop * frames - len(samples)))
    strided = np.lib.stride_tricks.sliding_window_view(padded, window)[::hop][:frames]
    spectrum = np.abs(np.fft.rfft(strided * np.hanning(window).astype(np.float32), n=n_fft)) ** 2
    mel = spectrum @ _mel_filterbank(sample_rate, n_fft, MEL_BINS).T
    return np.log(mel + 1e-6).astype(np.float32)


def _mel_filterbank(sample_rate: int, n_fft: int, bins: int) -> np.ndarray:
    def to_mel(hz):
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel):
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    edges = to_hz(np.linspace(to_mel(20.0), to_mel(sample_rate / 2), bins + 2))
    fft_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    rising = (fft_hz[None] - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    falling = (edges[2:, None] - fft_hz[None]) / (edges[2:, None] - edges[1:-1, None])
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def speech_mask(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One boolean per VAD_FRAME_SECONDS of audio: does it hold speech (WebRTC's detector)."""
    step = round(VAD_FRAME_SECONDS * sample_rate)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    vad = webrtcvad.Vad(VAD_AGGRESSIVENESS)
    count = len(pcm) // step
    return np.array(
        [vad.is_speech(pcm[i * step:(i + 1) * step].tobytes(), sample_rate) for i in range(count)],
        dtype=bool,
    )


def speech_seconds(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    return float(speech_mask(samples, sample_rate).sum() * VAD_FRAME_SECONDS)
