"""The audio-to-motion model to ONNX, checked against torch on real audio windows right after export.

The model already carries its input standardisation and motion basis as buffers, so the graph
takes a loudness-normalised log-mel window and gives the mouth's offsets; batch of one, as the
live path runs it frame by frame.
"""

import copy
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from desktop_twin.errors import UserError
from desktop_twin.export.onnx_export import _quiet_exporter
from desktop_twin.training.audio_motion import ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, AudioMotionNet

# Offsets are in eye distances (about 90 px in the 256 px crop): 1e-4 is a hundredth of a pixel.
PARITY_TOLERANCE = 1e-4


def export_audio_motion(model: AudioMotionNet, path: Path, windows: np.ndarray) -> float:
    """Export `model` to `path`; the largest difference between ONNX Runtime and torch over `windows`
    ((N, window, mel_bins) float32, real normalised log-mel). A model off by more than
    PARITY_TOLERANCE is deleted and refused."""
    windows = np.ascontiguousarray(windows, dtype=np.float32)
    if windows.ndim != 3 or windows.shape[1:] != (model.window, model.config["mel_bins"]) or not len(windows):
        raise ValueError(f"windows must be (N, {model.window}, {model.config['mel_bins']}), got {windows.shape}")
    model = copy.deepcopy(model).cpu().eval()
    path = Path(path)
    with _quiet_exporter():
        torch.onnx.export(model, (torch.from_numpy(windows[:1]),), str(path), dynamo=True, opset_version=ONNX_OPSET,
                          input_names=[ONNX_INPUT], output_names=[ONNX_OUTPUT], external_data=False, verbose=False)
    difference = parity(model, path, windows)
    if not difference <= PARITY_TOLERANCE:
        path.unlink(missing_ok=True)
        raise UserError(f"The exported speaking model differs from the trained one by up to {difference:.2g} "
                        f"(more than {PARITY_TOLERANCE:g}), so it was not kept. Please report this.")
    return difference


@torch.no_grad()
def parity(model: AudioMotionNet, path: Path, windows: np.ndarray) -> float:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    largest = 0.0
    for window in windows:
        (onnx_offsets,) = session.run([ONNX_OUTPUT], {ONNX_INPUT: window[None]})
        largest = max(largest, float(np.abs(onnx_offsets - model(torch.from_numpy(window[None])).numpy()).max()))
    return largest
