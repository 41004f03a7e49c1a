"""What this machine does: median milliseconds per stage of the live path, and frames per second.

Per provider that really runs here (CUDA is tried, not assumed): the face detector, the
landmark mesh, the twin's renderer at its size, and the whole per-frame pipeline without
the camera (tracking, retargeting, sketch, renderer, composite) on frames held in memory:
a driving video's, or the twin's own frame replayed. Medians, because a busy machine makes
single runs meaningless.
"""

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort

from desktop_twin.capture.footage import iterate_frames
from desktop_twin.errors import UserError
from desktop_twin.face.detector import FaceDetector
from desktop_twin.face.mesh import FaceMesh, FaceRoi, roi_from_detection
from desktop_twin.face.onnx_session import usable_providers
from desktop_twin.runtime.driven_twin import DrivenTwin
from desktop_twin.runtime.sessions import CPU
from desktop_twin.runtime.twin_assets import TwinAssets

RUNS = 50
WARM_UP_RUNS = 5
MAX_DRIVE_FRAMES = 150  # frames of a driving video held in memory
REPLAY_FPS = 30.0  # the clock the replayed frames are stamped with (calibration counts a second of it)
BLANK_FRAME_SIZE = (480, 640)  # without a twin or a video: the models' cost barely depends on content


def run_bench(bundle=None, drive: Path | None = None, runs: int = RUNS,
              providers: list[str] | None = None) -> dict:
    """Figures per provider, with the machine they were measured on. bundle: a read .twin or None
    (then the face models only)."""
    assets = None if bundle is None else bundle if isinstance(bundle, TwinAssets) else TwinAssets.from_bundle(bundle)
    frames, source = bench_frames(assets, drive)
    return {
        "machine": machine(),
        "onnxruntime": ort.__version__,
        "twin": None if assets is None else {"name": assets.name, "renderer_size": assets.render_size},
        "frames": source,
        "runs": runs,
        "results": [bench_provider(provider, assets, frames, runs) for provider in providers or usable_providers()],
    }


def bench_provider(provider: str, assets: TwinAssets | None, frames: list[np.ndarray], runs: int) -> dict:
    providers = [provider] if provider == CPU else [provider, CPU]
    detector, mesh = FaceDetector(providers=providers), FaceMesh(providers=providers)
    frame = frames[0]
    roi = face_roi(detector, frame)
    result = {
        "provider": detector.session.get_providers()[0],  # what it really got
        "detector_ms": median_ms(lambda: detector.detect(frame), runs),
        "landmarks_ms": median_ms(lambda: mesh.predict(frame, roi), runs),
    }
    if assets is not None:
        result.update(bench_twin(DrivenTwin(assets, [provider]), frames, runs))
    return result


def bench_twin(twin: DrivenTwin, frames: list[np.ndarray], runs: int) -> dict:
    sketch = twin.renderer.sketch(twin.assets.neutral_at(twin.renderer.size))
    renderer_ms = median_ms(lambda: twin.renderer.render(sketch), runs)
    stages = replay(twin, frames, max(runs, len(frames)))
    return {"renderer_provider": twin.renderer.provider,
            "renderer_ms": {str(twin.renderer.size): renderer_ms},
            "pipeline_stages_ms": stages,
            "pipeline_ms": stages["total"],
            "pipeline_fps": 1000.0 / stages["total"]}


def replay(twin: DrivenTwin, frames: list[np.ndarray], count: int) -> dict[str, float]:
    """Median ms per pipeline stage over `count` frames (cycling through `frames`), after a warm-up."""
    timings = []
    for index in range(WARM_UP_RUNS + count):
        result = twin.process(frames[index % len(frames)], index / REPLAY_FPS)
        if index >= WARM_UP_RUNS:
            timings.append(result.timings_ms)
    return {stage: float(np.median([t[stage] for t in timings])) for stage in timings[0]}


def median_ms(work: Callable[[], object], runs: int) -> float:
    for _ in range(WARM_UP_RUNS):
        work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000.0)
    return float(np.median(times))


def face_roi(detector: FaceDetector, frame: np.ndarray) -> FaceRoi:
    """Where the mesh looks: the detected face, or the frame's middle when there is none."""
    faces = detector.detect(frame)
    if faces:
        return roi_from_detection(faces[0])
    height, width = frame.shape[:2]
    return FaceRoi((width / 2, height / 2), min(width, height) / 2, 0.0)


def bench_frames(assets: TwinAssets | None, drive: Path | None) -> tuple[list[np.ndarray], str]:
    """BGR frames to run on, and a description of them for the report."""
    if drive is not None:
        frames = [frame for _, frame in zip(range(MAX_DRIVE_FRAMES), iterate_frames(Path(drive)))]
        if not frames:
            raise UserError(f"{Path(drive).name} has no picture that decodes (damaged or cut short?).")
        return frames, f"{len(frames)} frames of {Path(drive).name}"
    if assets is not None:
        return [np.ascontiguousarray(assets.frame_rgb[..., ::-1])], "the twin's own frame, replayed"
    return [np.full((*BLANK_FRAME_SIZE, 3), 128, np.uint8)], "a blank frame (no twin or video given)"


def machine() -> dict:
    return {"cpu": cpu_model(), "logical_cores": os.cpu_count(), "system": platform.platform(terse=True),
            "python": platform.python_version(), "gpu": gpu_model()}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_model() -> str | None:
    """The NVIDIA GPU's name where the driver publishes it (Linux), else None."""
    for info in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):
        try:
            for line in info.read_text().splitlines():
                if line.startswith("Model:"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return None
