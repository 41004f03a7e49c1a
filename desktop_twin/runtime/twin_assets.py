"""What the live path needs from a `.twin` bundle, as plain arrays.

The one module that knows the bundle's field names: the rest of the runtime reads a
TwinAssets, which tests can also build directly.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SpeechSettings:
    """The audio-to-motion model and how to feed it (export.bundle.AudioMotionModel)."""

    onnx: bytes
    input_name: str  # (1, frames_before + 1 + frames_after, mel_bins) float32, loudness-normalised log-mel
    output_name: str  # (1, len(points), 2) offsets from the neutral face, in its eye distances
    frames_before: int
    frames_after: int
    points: np.ndarray  # the landmark indices the offsets move
    speech_level: float  # log power the twin's own speech peaks at
    max_boost: float  # the most a quiet input is raised, log power


@dataclass(frozen=True)
class IdleSettings:
    """The person's blinks and head drift (export.bundle.IdleMotion)."""

    blinks_per_minute: float
    blink_seconds: float  # how long the eyes stay mostly closed
    blink_depth: float  # eye aspect ratio at the deepest, of the open eye's
    head_bands_hz: np.ndarray  # (bands, 2)
    head_spread: dict[str, np.ndarray] = field(default_factory=dict)  # component -> (bands,) std


@dataclass(frozen=True)
class TwinAssets:
    name: str
    renderer_onnx: bytes
    input_name: str  # the renderer's sketch input, (1, 3, S, S) float32 in [0, 1]
    output_name: str  # its image output, (1, 3, S, S) RGB in [0, 1]
    render_size: int  # S: the renderer's crop side in pixels
    canonical_size: int  # side of the canonical crop the geometry below is given in
    neutral_landmarks: np.ndarray  # (478, 3) float32, the twin's resting face in canonical crop pixels
    frame_rgb: np.ndarray  # a full frame of the twin's footage, uint8 RGB: the twin is composited into it
    frame_transform: np.ndarray  # 2x3 float64: frame pixels -> canonical crop pixels
    speech: SpeechSettings | None = None  # None: the twin cannot speak (made before twins spoke)
    idle: IdleSettings | None = None

    @classmethod
    def from_bundle(cls, bundle) -> "TwinAssets":
        """From a validated export.bundle.TwinBundle (read_twin)."""
        manifest = bundle.manifest
        renderer = manifest.models.renderer
        return cls(
            name=manifest.name,
            renderer_onnx=bundle.renderer_onnx,
            input_name=renderer.input,
            output_name=renderer.output,
            render_size=renderer.size,
            canonical_size=manifest.canonical.size,
            neutral_landmarks=bundle.neutral_landmarks,
            frame_rgb=bundle.frame_rgb,
            frame_transform=bundle.frame_transform,
            speech=speech_settings(bundle),
            idle=idle_settings(manifest.idle),
        )

    def neutral_at(self, size: int) -> np.ndarray:
        """The neutral landmarks in a crop of `size` pixels."""
        return scale_points(self.neutral_landmarks, size / self.canonical_size)


def scale_points(points: np.ndarray, factor: float) -> np.ndarray:
    """Landmarks in a crop resized by `factor` (z scales like x and y, as the mesh gives it)."""
    return (np.asarray(points, np.float32) * np.float32(factor)).astype(np.float32)


def speech_settings(bundle) -> SpeechSettings | None:
    entry = bundle.manifest.models.audio_motion
    if entry is None or bundle.audio_motion_onnx is None:
        return None
    return SpeechSettings(bundle.audio_motion_onnx, entry.input, entry.output, entry.frames_before,
                          entry.frames_after, np.asarray(entry.points, np.int64), entry.speech_level, entry.max_boost)


def idle_settings(idle) -> IdleSettings | None:
    if idle is None:
        return None
    head = {name: np.asarray(values, np.float64) for name, values in idle.head.model_dump().items()}
    return IdleSettings(idle.blinks_per_minute, idle.blink_seconds, idle.blink_depth,
                        np.asarray(idle.head_bands_hz, np.float64), head)
