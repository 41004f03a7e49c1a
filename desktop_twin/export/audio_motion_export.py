"""The audio-to-motion model to ONNX, checked against torch on real audio windows right after export.

The model already carries its input standardisation and motion basis as buffers, so the graph
takes a loudness-normalised log-mel window and gives the mouth's offsets; batch of one, as the
live path runs it frame by frame.
"""

from pathlib import Path

import numpy as np

from desktop_twin.export.onnx_export import export_checked
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
    return export_checked(model, windows, path, (ONNX_INPUT, ONNX_OUTPUT), ONNX_OPSET, PARITY_TOLERANCE,
                          "speaking model")
