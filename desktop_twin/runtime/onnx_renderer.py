"""The twin's renderer through ONNX Runtime: a landmark sketch in, the twin's face crop out."""

import numpy as np

from desktop_twin.face.sketch import draw_sketch
from desktop_twin.runtime.sessions import open_session
from desktop_twin.runtime.twin_assets import TwinAssets


class OnnxRenderer:
    def __init__(self, assets: TwinAssets, providers: list[str] | None = None, threads: int | None = None):
        chosen = open_session(assets.renderer_onnx, providers, threads)
        self.session, self.provider = chosen.session, chosen.provider
        self.size = assets.render_size
        self.input_name, self.output_name = assets.input_name, assets.output_name

    def sketch(self, landmarks: np.ndarray) -> np.ndarray:
        """The (S, S, 3) uint8 sketch of landmarks given in the renderer's crop pixels."""
        return draw_sketch(landmarks, self.size)

    def render(self, sketch: np.ndarray) -> np.ndarray:
        """The (S, S, 3) uint8 RGB face crop the twin shows for this sketch."""
        (image,) = self.session.run([self.output_name], {self.input_name: sketch_tensor(sketch)})
        return image_to_uint8(image[0])


def sketch_tensor(sketch: np.ndarray) -> np.ndarray:
    """(S, S, 3) uint8 -> (1, 3, S, S) float32 in [0, 1], the layout training fed the network."""
    tensor = sketch.transpose(2, 0, 1)[None].astype(np.float32)
    tensor *= np.float32(1.0 / 255.0)
    return tensor


def image_to_uint8(image: np.ndarray) -> np.ndarray:
    """(3, S, S) float in [0, 1] -> (S, S, 3) uint8, rounded as the torch evaluation rounds."""
    scaled = np.clip(image, 0.0, 1.0).transpose(1, 2, 0) * np.float32(255.0) + np.float32(0.5)
    return scaled.astype(np.uint8)
