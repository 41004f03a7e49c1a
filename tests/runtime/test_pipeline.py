"""The live pipeline on a real video through OpenCV's capture path (played back in real time, as a camera)."""

import threading

import numpy as np
import pytest

from desktop_twin.errors import UserError
from desktop_twin.runtime.pipeline import LivePipeline
from desktop_twin.runtime.sessions import CPU
from desktop_twin.runtime.stage_times import STAGES
from tests.conftest import shared_file
from tests.runtime.conftest import EXPRESSIVE_DRIVER, OTHER_PERSON_CLIP

CLIP_FRAMES = 75  # OTHER_PERSON_CLIP: 3 s at 25 fps, 360x288
END_TIMEOUT = 60.0  # seconds; only a hung pipeline comes near it


def run_to_the_end(pipeline: LivePipeline) -> list:
    delivered = []
    pipeline.on_frame = delivered.append
    with pipeline:
        assert pipeline.wait(END_TIMEOUT), "the pipeline did not reach the video's end"
    assert pipeline.error is None
    return delivered


def test_another_persons_video_drives_the_twin_to_the_end(bundle):
    pipeline = LivePipeline(bundle, shared_file(OTHER_PERSON_CLIP), providers=[CPU])
    delivered = run_to_the_end(pipeline)
    assert 0 < len(delivered) <= CLIP_FRAMES
    assert all(f.driver_bgr.shape == (288, 360, 3) for f in delivered)
    assert all(f.twin_bgr.shape == bundle.frame_rgb.shape for f in delivered)
    assert not np.array_equal(delivered[0].twin_bgr, delivered[-1].twin_bgr)  # the twin moves
    stats = pipeline.stats()
    assert set(stats.stage_ms) == set(STAGES) and all(v > 0 for v in stats.stage_ms.values())
    assert stats.frames == len(delivered) and stats.fps > 0
    assert stats.providers == {"renderer": CPU, "face": CPU}
    assert stats.calibrated and stats.face_found
    assert all(f.latency_ms > 0 for f in delivered)


def test_when_inference_is_slow_stale_frames_are_dropped_and_the_newest_kept(bundle):
    pipeline = LivePipeline(bundle, shared_file(OTHER_PERSON_CLIP), providers=[CPU])
    process, slowdown = pipeline.twin.process, threading.Event()

    def slow_process(frame, time_seconds):
        slowdown.wait(0.15)  # several camera frames long
        return process(frame, time_seconds)

    pipeline.twin.process = slow_process
    delivered = run_to_the_end(pipeline)
    stats = pipeline.stats()
    assert stats.dropped_frames > 0
    assert len(delivered) + stats.dropped_frames <= CLIP_FRAMES
    captured = [f.captured for f in delivered]
    assert captured == sorted(captured)  # never an older frame after a newer one


def test_stop_ends_both_threads_mid_video(bundle):
    pipeline = LivePipeline(bundle, shared_file(EXPRESSIVE_DRIVER), providers=[CPU])
    pipeline.start()
    first = pipeline.latest(timeout=END_TIMEOUT)
    pipeline.recalibrate()
    pipeline.stop()
    assert first is not None and first.twin_bgr.shape == bundle.frame_rgb.shape
    assert pipeline.finished.is_set() and pipeline.error is None
    assert not any(thread.is_alive() for thread in threading.enumerate() if thread.name.startswith("twin-"))


def test_a_source_that_is_neither_camera_nor_file_says_so(bundle, tmp_path):
    pipeline = LivePipeline(bundle, str(tmp_path / "missing.mp4"), providers=[CPU])
    with pytest.raises(UserError, match="no file by that name"):
        pipeline.start()
