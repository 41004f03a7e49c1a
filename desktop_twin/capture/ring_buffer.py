"""A fixed-size ring buffer between the audio callback (producer) and the recorder (consumer).

The callback runs on PortAudio's thread and must never wait on disk or allocate much,
so it only copies samples and their timing into preallocated arrays. When the consumer
falls behind and the ring is full, the new block is dropped and counted; its place in
the stream is still known, so the consumer fills the gap with silence and sync holds.
"""

import threading
from dataclasses import dataclass

import numpy as np

# Per block: index of its first sample in the stream, frames, callback time, capture age.
BLOCK_FIELDS = 4


@dataclass(frozen=True)
class AudioChunk:
    """Samples drained from the ring, and the timing of the blocks they came in."""

    first_sample: int  # stream index of samples[0]
    samples: np.ndarray  # (frames, channels), gaps from dropped blocks filled with zeros
    blocks: np.ndarray  # (n, BLOCK_FIELDS) float64: first_sample, frames, callback_time, capture_age


class AudioRingBuffer:
    def __init__(self, capacity_frames: int, channels: int, dtype=np.int16, capacity_blocks: int = 4096):
        self._samples = np.zeros((capacity_frames, channels), dtype)
        self._blocks = np.zeros((capacity_blocks, BLOCK_FIELDS), np.float64)
        self._lock = threading.Lock()
        self._stream_frames = 0  # frames the device delivered, dropped ones included
        self._written_frames = 0  # frames stored in the ring since the start
        self._read_frames = 0
        self._written_blocks = 0
        self._read_blocks = 0
        self._drained_stream_frames = 0
        self.dropped_blocks = 0
        self.dropped_frames = 0

    def write(self, data: np.ndarray, callback_time: float, capture_age: float) -> None:
        """Called from the audio callback: copy, or count a drop when the ring is full."""
        frames = len(data)
        with self._lock:
            first = self._stream_frames
            self._stream_frames += frames
            ring_full = self._written_frames - self._read_frames + frames > len(self._samples)
            blocks_full = self._written_blocks - self._read_blocks >= len(self._blocks)
            if ring_full or blocks_full:
                self.dropped_blocks += 1
                self.dropped_frames += frames
                return
            self._copy_in(data, self._written_frames)
            self._blocks[self._written_blocks % len(self._blocks)] = (first, frames, callback_time, capture_age)
            self._written_frames += frames
            self._written_blocks += 1

    def drain(self) -> AudioChunk:
        """Everything written since the last drain, with dropped stretches as silence."""
        with self._lock:
            block_slots = np.arange(self._read_blocks, self._written_blocks) % len(self._blocks)
            blocks = self._blocks[block_slots].copy()
            stored = self._copy_out(self._read_frames, self._written_frames)
            self._read_frames = self._written_frames
            self._read_blocks = self._written_blocks
            stream_end = self._stream_frames if not len(blocks) else int(blocks[-1, 0] + blocks[-1, 1])
        first = self._drained_stream_frames
        samples = self._with_gaps_filled(first, stream_end, blocks, stored)
        self._drained_stream_frames = stream_end
        return AudioChunk(first, samples, blocks)

    def _with_gaps_filled(self, first: int, end: int, blocks: np.ndarray, stored: np.ndarray) -> np.ndarray:
        if end - first == len(stored):
            return stored
        samples = np.zeros((end - first, stored.shape[1]), stored.dtype)
        position = 0
        for block_first, frames in blocks[:, :2].astype(np.int64):
            start = block_first - first
            samples[start:start + frames] = stored[position:position + frames]
            position += frames
        return samples

    def _copy_in(self, data: np.ndarray, at: int) -> None:
        start = at % len(self._samples)
        head = min(len(data), len(self._samples) - start)
        self._samples[start:start + head] = data[:head]
        self._samples[:len(data) - head] = data[head:]

    def _copy_out(self, begin: int, end: int) -> np.ndarray:
        size = len(self._samples)
        indices = np.arange(begin, end) % size
        return self._samples[indices]
