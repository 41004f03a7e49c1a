"""What the live path needs from a `.twin` bundle, as plain arrays.

The one module that knows the bundle's field names: the rest of the runtime reads a
TwinAssets, which tests can also build directly.
"""

from dataclasses import dataclass

import numpy as np


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
        )

    def neutral_at(self, size: int) -> np.ndarray:
        """The neutral landmarks in a crop of `size` pixels."""
        return scale_points(self.neutral_landmarks, size / self.canonical_size)


def scale_points(points: np.ndarray, factor: float) -> np.ndarray:
    """Landmarks in a crop resized by `factor` (z scales like x and y, as the mesh gives it)."""
    return (np.asarray(points, np.float32) * np.float32(factor)).astype(np.float32)
