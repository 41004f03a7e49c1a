"""Identity network: dlib's face-recognition ResNet (128-d), ported to torch.

The architecture is dlib's `dlib_face_recognition_resnet_model_v1` (a ResNet-29
"metric" network by Davis King), laid out as face-api's `faceRecognitionNet`.
Its weights come from face-api's TensorFlow.js files (MIT); see
`resources/models/IDENTITY_CARD.md` and `resources/models/convert/`.

Input: an aligned face chip like dlib's `get_face_chip(img, shape, 150, 0.25)`.
Two faces whose descriptors lie less than 0.6 apart are, by dlib's convention,
the same person.
"""

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from desktop_twin.resources import model_path

WEIGHTS_FILE = "identity_resnet.pt"
INPUT_SIZE = 150
# dlib's input_rgb_image_sized<150>: (pixel - mean) / 256, pixels in 0..255.
MEAN_RGB = (122.782, 117.001, 104.298)
PIXEL_SCALE = 256.0
# dlib's own threshold for "same person".
SAME_PERSON_THRESHOLD = 0.6
# Where dlib's chip (get_face_chip, padding 0.25) puts the face, in units of the chip's
# side, averaged over 27 faces (tests/benchmarks/identity_vs_dlib.py): eye centres
# (image left, image right) and mouth centre. A crop cut from another alignment must
# match these to about 1% of the side: 2% off moves descriptors by about 0.13.
CHIP_EYES = ((0.309, 0.311), (0.672, 0.312))
CHIP_MOUTH = (0.489, 0.698)


class _Residual(nn.Module):
    """Two 3x3 convolutions (affine folded in) plus a shortcut, then ReLU."""

    def __init__(self, channels_in: int, channels_out: int, down: bool):
        super().__init__()
        # dlib pads only stride-1 convolutions; strided ones are "valid".
        stride, padding = (2, 0) if down else (1, 1)
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, padding)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1)
        self.down = down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(F.relu(self.conv1(x)))
        if not self.down:
            return F.relu(out + x)
        shortcut = _downsample(x, out)
        return F.relu(_pad_to(out, shortcut) + shortcut)


def _downsample(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Shortcut of a down block: 2x2 average pool, zero channels appended."""
    pooled = F.avg_pool2d(x, 2, 2)
    return F.pad(pooled, (0, 0, 0, 0, 0, out.shape[1] - x.shape[1]))


def _pad_to(out: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Zero-pad bottom/right where the strided conv came out smaller than the
    pooled shortcut (8->3 vs 4, 4->1 vs 2): dlib's add_prev treats missing
    elements as zero, and face-api does the same."""
    return F.pad(out, (0, like.shape[3] - out.shape[3], 0, like.shape[2] - out.shape[2]))


def _blocks() -> nn.Sequential:
    spec = [
        ("conv32_1", 32, 32, False), ("conv32_2", 32, 32, False), ("conv32_3", 32, 32, False),
        ("conv64_down", 32, 64, True), ("conv64_1", 64, 64, False),
        ("conv64_2", 64, 64, False), ("conv64_3", 64, 64, False),
        ("conv128_down", 64, 128, True), ("conv128_1", 128, 128, False),
        ("conv128_2", 128, 128, False),
        ("conv256_down", 128, 256, True), ("conv256_1", 256, 256, False),
        ("conv256_2", 256, 256, False), ("conv256_down_out", 256, 256, True),
    ]
    return nn.Sequential(OrderedDict((name, _Residual(cin, cout, down))
                                     for name, cin, cout, down in spec))


class IdentityNetwork(nn.Module):
    """dlib's ResNet-29 metric network: (B,3,150,150) normalised RGB -> (B,128)."""

    def __init__(self):
        super().__init__()
        self.conv32_down = nn.Conv2d(3, 32, 7, stride=2)
        self.blocks = _blocks()
        self.fc = nn.Linear(256, 128, bias=False)
        self.register_buffer("mean_rgb", torch.tensor(MEAN_RGB).view(1, 3, 1, 1),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x`: normalised as by `normalise`, 150x150."""
        x = F.max_pool2d(F.relu(self.conv32_down(x)), 3, 2)
        x = self.blocks(x)
        return self.fc(x.mean(dim=(2, 3)))

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """RGB in [0,1], any size -> 150x150 network input."""
        if images.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            # No antialias: keeps the op plain bilinear for autograd, CUDA and ONNX.
            images = F.interpolate(images, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear",
                                   align_corners=False, antialias=False)
        return (images * 255.0 - self.mean_rgb) / PIXEL_SCALE

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Differentiable descriptor of aligned face chips: RGB (B,3,H,W) in [0,1]
        -> (B,128)."""
        return self(self.normalise(images))


def load_identity_network(device: str | torch.device = "cpu") -> IdentityNetwork:
    """The bundled network, frozen, in eval mode, float32 (stored as float16)."""
    state = torch.load(model_path(WEIGHTS_FILE), map_location="cpu", weights_only=True)
    network = IdentityNetwork()
    network.load_state_dict({k: v.float() for k, v in state.items()})
    network.requires_grad_(False)
    return network.eval().to(device)


def identity_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distance between descriptors, as dlib measures it: (B,128) -> (B,)."""
    return torch.linalg.vector_norm(a - b, dim=-1)
