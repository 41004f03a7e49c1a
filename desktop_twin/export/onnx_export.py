"""The baked renderer to ONNX, checked against torch on real sketches right after export.

The baked renderer already takes only the sketch (the reference is folded into its
weights), so it is exported as it is: opset and names from the renderer's constants,
a fixed batch of one (the live path renders one frame at a time).
"""

import contextlib
import copy
import logging
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from desktop_twin.errors import UserError
from desktop_twin.training.renderer import ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, BakedRenderer

# Outputs are in [0, 1] and end up as 8-bit pixels, one grey level apart by 1/255 ~ 3.9e-3.
# A difference under half a level (2e-3) can at most flip the rounding of a pixel, never
# move it a whole level. Float32 reordering between torch and ONNX Runtime over the
# renderer's twenty-odd layers stays near 1e-6; anything near the tolerance is a wrong op.
PARITY_TOLERANCE = 2e-3


def export_renderer(model: BakedRenderer, path: Path, sketches: np.ndarray) -> float:
    """Export `model` to `path` and return the largest absolute difference between ONNX Runtime
    and torch over `sketches` ((N, 3, S, S) float32 in [0, 1], real sketches of the twin).

    A model that does not match within PARITY_TOLERANCE is deleted and refused with a UserError."""
    sketches = _checked_sketches(sketches, model.config["image_size"])
    return export_checked(model, sketches, path, (ONNX_INPUT, ONNX_OUTPUT), ONNX_OPSET, PARITY_TOLERANCE,
                          "renderer")


def export_checked(model: torch.nn.Module, inputs: np.ndarray, path: Path, names: tuple[str, str], opset: int,
                   tolerance: float, what: str) -> float:
    """Export `model` (a batch of one) to `path` with these input and output names, then compare ONNX
    Runtime with torch over `inputs`: the largest absolute difference. A model off by more than
    `tolerance` (or by NaN) is deleted and refused with a UserError naming `what` it is."""
    model = copy.deepcopy(model).cpu().eval()  # the caller's model keeps its device and mode
    path = Path(path)
    input_name, output_name = names
    with _quiet_exporter():
        torch.onnx.export(
            model, (torch.from_numpy(inputs[:1]),), str(path), dynamo=True, opset_version=opset,
            input_names=[input_name], output_names=[output_name], external_data=False, verbose=False,
        )
    difference = parity(model, path, inputs, names)
    if not difference <= tolerance:  # also catches NaN
        path.unlink(missing_ok=True)
        raise UserError(f"The exported {what} differs from the trained one by up to {difference:.2g} "
                        f"(more than {tolerance:g}), so it was not kept. Please report this.")
    return difference


@torch.no_grad()
def parity(model: torch.nn.Module, path: Path, inputs: np.ndarray,
           names: tuple[str, str] = (ONNX_INPUT, ONNX_OUTPUT)) -> float:
    """Largest absolute difference between ONNX Runtime (CPU) and torch, one input at a time."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    input_name, output_name = names
    largest = 0.0
    for single in inputs:
        (onnx_output,) = session.run([output_name], {input_name: single[None]})
        torch_output = model(torch.from_numpy(single[None])).numpy()
        largest = max(largest, float(np.abs(onnx_output - torch_output).max()))
    return largest


def _checked_sketches(sketches: np.ndarray, size: int) -> np.ndarray:
    sketches = np.ascontiguousarray(sketches, dtype=np.float32)
    if sketches.ndim != 4 or sketches.shape[1:] != (3, size, size) or not len(sketches):
        raise ValueError(f"sketches must be (N, 3, {size}, {size}), got {sketches.shape}")
    return sketches


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter logs warnings about optional packages (torchvision) and its own deprecations,
    which say nothing to someone exporting a twin."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)
