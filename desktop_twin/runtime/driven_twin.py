"""The twin driven by a face: one driver frame in, one frame of the twin out.

The per-frame work of the live preview, the rendered video and the benchmark, without any
threads: face tracking, retargeting, sketch, renderer, composite, each timed.
"""

from dataclasses import dataclass

import numpy as np

from desktop_twin.face.align import transform_points
from desktop_twin.face.detector import FaceDetector
from desktop_twin.face.mesh import FaceMesh
from desktop_twin.face.tracker import FaceTracker
from desktop_twin.runtime.composite import Compositor
from desktop_twin.runtime.onnx_renderer import OnnxRenderer
from desktop_twin.runtime.retarget import Retargeted, Retargeter
from desktop_twin.runtime.sessions import CPU
from desktop_twin.runtime.stage_times import Stopwatch
from desktop_twin.runtime.twin_assets import TwinAssets, scale_points


@dataclass(frozen=True)
class TwinFrame:
    twin_bgr: np.ndarray  # the twin's frame, uint8 BGR
    face_found: bool  # False: no driver face, the twin rests in its neutral pose
    frame_landmarks: np.ndarray  # (478, 3) where the twin's face was drawn, in twin_bgr's pixels
    timings_ms: dict[str, float]


def face_tracker(provider: str) -> FaceTracker:
    """The face models on the renderer's provider (the CPU behind it for any operator it lacks)."""
    providers = [provider] if provider == CPU else [provider, CPU]
    return FaceTracker(FaceDetector(providers=providers), FaceMesh(providers=providers))


class TwinPainter:
    """A pose in, the twin's frame out: sketch, renderer, composite into the twin's own frame. Shared
    by the twin a face drives and the twin a voice drives."""

    def __init__(self, assets: TwinAssets, providers: list[str] | None = None):
        self.assets = assets
        self.renderer = OnnxRenderer(assets, providers)
        self.compositor = Compositor(assets.frame_rgb, assets.frame_transform, assets.canonical_size)
        self._to_render = assets.render_size / assets.canonical_size

    def paint(self, pose: Retargeted, clock: Stopwatch) -> tuple[np.ndarray, np.ndarray]:
        """(the twin's frame, BGR; where its face landmarks were drawn in it), laps on the clock."""
        landmarks = scale_points(pose.landmarks, self._to_render)
        sketch = self.renderer.sketch(landmarks)
        clock.lap("retarget_sketch")
        face_rgb = self.renderer.render(sketch)
        clock.lap("renderer")
        twin_bgr = self.compositor.composite(face_rgb, landmarks, pose.head_motion)
        clock.lap("composite")
        return twin_bgr, self.landmarks_in_frame(pose)

    def landmarks_in_frame(self, pose: Retargeted) -> np.ndarray:
        return transform_points(pose.landmarks, self.compositor.render_to_frame(self.assets.canonical_size,
                                                                                pose.head_motion))


class DrivenTwin:
    def __init__(self, assets: TwinAssets, providers: list[str] | None = None, head_motion: bool = True):
        self.assets = assets
        self.painter = TwinPainter(assets, providers)
        self.renderer = self.painter.renderer
        self.tracker = face_tracker(self.renderer.provider)
        self.retargeter = Retargeter(assets.neutral_landmarks, assets.canonical_size, head_motion)

    @property
    def providers(self) -> dict[str, str]:
        """The provider each model really runs on."""
        return {"renderer": self.renderer.provider,
                "face": self.tracker.mesh.session.get_providers()[0]}

    def reset(self) -> None:
        """A new driver: find the face afresh and calibrate its neutral again."""
        self.tracker.reset()
        self.retargeter.recalibrate()

    def process(self, frame_bgr: np.ndarray, time_seconds: float) -> TwinFrame:
        clock = Stopwatch()
        observation = self.tracker.track(frame_bgr, time_seconds)
        clock.lap("face")
        # Smoothed landmarks drive the twin: the One Euro filter steadies them without lag on
        # fast motion, and a jittering driver would make the twin shimmer.
        pose = (self.retargeter.retarget(observation.landmarks, time_seconds) if observation is not None
                else self.retargeter.at_rest())
        twin_bgr, in_frame = self.painter.paint(pose, clock)
        return TwinFrame(twin_bgr, observation is not None, in_frame, clock.total())
