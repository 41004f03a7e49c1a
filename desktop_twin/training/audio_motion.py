"""Audio-to-motion: a window of log-mel audio to the mouth and jaw's offsets from the neutral face.

A small 1-D convolutional network over time. Its input is MEL frames around one video frame
(FRAMES_BEFORE of the past, FRAMES_AFTER of look-ahead: lips move a little before the sound
they make), loudness-normalised (motion_features); its output the offsets of the mouth and jaw
points (motion_features.MOUTH_JAW_POINTS) in eye distances, made in a low-dimensional basis
(principal components of real mouth motion) so it can only say what mouths do. The basis and
the input's standardisation travel inside the model as buffers, so the ONNX export is complete.
"""

import numpy as np
import torch
from torch import nn

from desktop_twin.capture.audio import MEL_BINS
from desktop_twin.training.motion_features import MOUTH_JAW_POINTS

FRAMES_BEFORE = 30  # 0.30 s of past audio
FRAMES_AFTER = 10  # 0.10 s of look-ahead: the live path waits this long for sound
COMPONENTS = 16
MEMBERS = 3
ONNX_INPUT = "mel"
ONNX_OUTPUT = "mouth_offsets"
ONNX_OPSET = 18
BASE_MODEL = "audio_motion_base.pt"
CHECKPOINT_KIND = "audio-motion"


class _Member(nn.Module):
    """One network of the ensemble: normalised log-mel window -> motion coefficients."""

    def __init__(self, mel_bins: int, window: int, width: int, components: int, dropout: float):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(mel_bins, width, 3, padding=1), nn.GELU(),
            nn.Conv1d(width, width, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(width, width, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(width, width, 3, stride=2, padding=1), nn.GELU(),
        )
        steps = window
        for _ in range(3):
            steps = (steps - 1) // 2 + 1
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(width * steps, width), nn.GELU(),
                                  nn.Linear(width, components))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class AudioMotionNet(nn.Module):
    """A few small networks from different starting weights, their motion averaged (steadier than one)."""

    def __init__(self, mel_bins: int = MEL_BINS, frames_before: int = FRAMES_BEFORE,
                 frames_after: int = FRAMES_AFTER, width: int = 64, components: int = COMPONENTS,
                 points: int = len(MOUTH_JAW_POINTS), dropout: float = 0.3, members: int = MEMBERS):
        super().__init__()
        self.config = dict(mel_bins=mel_bins, frames_before=frames_before, frames_after=frames_after,
                           width=width, components=components, points=points, dropout=dropout, members=members)
        self.register_buffer("mel_mean", torch.zeros(mel_bins))
        self.register_buffer("mel_std", torch.ones(mel_bins))
        self.register_buffer("offset_mean", torch.zeros(points * 2))
        self.register_buffer("basis", torch.zeros(components, points * 2))
        self.register_buffer("coefficient_std", torch.ones(components))
        self.members = nn.ModuleList(_Member(mel_bins, self.window, width, components, dropout) for _ in range(members))

    @property
    def window(self) -> int:
        return self.config["frames_before"] + 1 + self.config["frames_after"]

    def member_offsets(self, mel: torch.Tensor) -> torch.Tensor:
        """(members, B, points, 2): each member's offsets, for training them side by side."""
        x = ((mel - self.mel_mean) / self.mel_std).transpose(1, 2)
        coefficients = torch.stack([member(x) for member in self.members]) * self.coefficient_std
        return (self.offset_mean + coefficients @ self.basis).reshape(len(self.members), mel.shape[0], -1, 2)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, window, mel_bins) normalised log-mel -> (B, points, 2) offsets from the neutral face,
        in eye distances."""
        return self.member_offsets(mel).mean(dim=0)

    def set_statistics(self, mel_rows: np.ndarray, offsets: np.ndarray) -> dict:
        """Standardisation of the input and the motion basis, from training data: normalised log-mel
        rows (rows, mel_bins) and offsets (frames, points, 2). Returns the basis's explained variance."""
        flat = offsets.reshape(len(offsets), -1).astype(np.float64)
        mean = flat.mean(axis=0)
        _, singular, vt = np.linalg.svd(flat - mean, full_matrices=False)
        k = self.config["components"]
        variance = singular ** 2 / len(flat)
        with torch.no_grad():
            self.mel_mean.copy_(torch.from_numpy(mel_rows.mean(axis=0)))
            self.mel_std.copy_(torch.from_numpy(mel_rows.std(axis=0) + 1e-3))
            self.offset_mean.copy_(torch.from_numpy(mean))
            self.basis.copy_(torch.from_numpy(vt[:k]))
            self.coefficient_std.copy_(torch.from_numpy(np.sqrt(variance[:k]) + 1e-6))
        return {"explained_variance": float(variance[:k].sum() / variance.sum())}


def model_state(model: AudioMotionNet) -> dict:
    return {"model_config": dict(model.config), "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()}}


def model_from_state(state: dict) -> AudioMotionNet:
    model = AudioMotionNet(**state["model_config"])
    model.load_state_dict(state["model_state"])
    return model
