import numpy as np

from desktop_twin.capture.ring_buffer import AudioRingBuffer


def blocks(count, size=100):
    return [np.arange(i * size, (i + 1) * size, dtype=np.int16).reshape(-1, 1) for i in range(count)]


def test_drains_what_was_written_in_order_across_the_wrap():
    ring = AudioRingBuffer(capacity_frames=250, channels=1)
    drained = []
    for block in blocks(10):
        ring.write(block, callback_time=0.0, capture_age=0.0)
        drained.append(ring.drain().samples)
    assert np.array_equal(np.concatenate(drained)[:, 0], np.arange(1000))
    assert ring.dropped_blocks == 0


def test_a_full_ring_drops_and_counts_blocks_and_fills_their_place_with_silence():
    ring = AudioRingBuffer(capacity_frames=250, channels=1)
    for i, block in enumerate(blocks(4)):  # the third and fourth do not fit
        ring.write(block, callback_time=float(i), capture_age=0.0)
    first = ring.drain()
    ring.write(blocks(5)[4], callback_time=4.0, capture_age=0.0)
    second = ring.drain()

    assert ring.dropped_blocks == 2 and ring.dropped_frames == 200
    assert first.first_sample == 0 and len(first.samples) == 200
    assert second.first_sample == 200 and len(second.samples) == 300  # 200 of silence, then block 4
    assert not second.samples[:200].any()
    assert np.array_equal(second.samples[200:, 0], np.arange(400, 500))
    assert list(second.blocks[:, 0]) == [400]  # the block keeps its place in the stream


def test_blocks_carry_their_timing():
    ring = AudioRingBuffer(capacity_frames=1000, channels=1)
    ring.write(blocks(1)[0], callback_time=12.5, capture_age=0.02)
    chunk = ring.drain()
    assert chunk.blocks.tolist() == [[0, 100, 12.5, 0.02]]
