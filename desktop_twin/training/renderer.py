"""The twin renderer: a landmark sketch in the canonical crop -> the person's face crop.

Two pathways:

- the *reference encoder* reads one or a few reference crops of the person (image + their
  sketch) into one feature map per generator level and a global vector;
- the *generator* reads the driving sketch and renders the face. Every residual block of
  the generator takes the reference as a per-channel gain (from the global vector) and an
  additive spatial map (from the feature map of its resolution).

Training uses `TwinRenderer(sketch, reference_image, reference_sketch)`, so one base model
serves any identity. For the live path `bake()` runs the reference encoder once and folds
its output into constants: the gains into the weights of the convolutions they scale, the
maps into parameters added after them. The baked model takes only the sketch, and costs
what the generator alone costs.

The generator works at 1/4 resolution and below, since full-resolution convolutions
dominate the cost of a generator on a CPU: a strided 8x8 convolution in; out through a
nearest 2x resize, one cheap 3x3 convolution at 1/2 resolution (so no 4x4 blocks show) and
a final 2x pixel-shuffle of 12 channels. Inside, upsampling is a nearest resize: ONNX
Runtime's CPU provider runs the Transpose of a pixel-unshuffle and wide DepthToSpace ops
slowly (2 ms and 0.5-1 ms each at these sizes). ReLU, no normalisation, residual branches
that start at zero. Nothing warps: the crop is aligned and the generator's receptive field
covers it. Widths that are multiples of 16 run fastest in ONNX Runtime.
"""

import copy

import torch
import torch.nn.functional as F
from torch import nn

ONNX_OPSET = 18
ONNX_INPUT = "sketch"
ONNX_OUTPUT = "image"

# Baked, through ONNX Runtime on a 2-core CPU (tests/benchmarks/renderer_speed.py).
PRESETS = {
    # The standard network at 128 px: a quarter of the pixels, for training on a CPU (~4 ms).
    "draft": {"width": 32, "blocks": [2, 2, 2, 2], "image_size": 128},
    # The live default: ~16 ms on 1 thread, ~9 ms on 2 on a quiet machine.
    "standard": {"width": 32, "blocks": [2, 2, 2, 2], "image_size": 256},
    # For a GPU; about twice the standard's cost on a CPU.
    "high": {"width": 48, "blocks": [2, 2, 2, 2], "image_size": 256},
}

_HEAD_CHANNELS = 16  # channels of the cheap 1/2-resolution stage before the output


def renderer_config(preset: str) -> dict:
    """Constructor arguments of a preset: `TwinRenderer(**renderer_config("standard"))`."""
    if preset not in PRESETS:
        raise ValueError(f"unknown renderer preset {preset!r}; choose one of {sorted(PRESETS)}")
    return copy.deepcopy(PRESETS[preset])


def _conv(cin: int, cout: int, kernel: int = 3, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)


def _patchify(cin: int, cout: int) -> nn.Conv2d:
    """Full resolution -> 1/4, overlapping 8x8 windows."""
    return nn.Conv2d(cin, cout, 8, stride=4, padding=2)


def _upsample(x):
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class ResBlock(nn.Module):
    """x + conv2(relu(conv1(x) * gain + shift)); the residual branch starts at zero."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = _conv(channels, channels)
        self.conv2 = _conv(channels, channels)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x, gain=None, shift=None):
        h = self.conv1(x)
        if gain is not None:
            h = h * gain
        if shift is not None:
            h = h + shift
        return x + self.conv2(F.relu(h))


def _block_levels(blocks) -> list[int]:
    """Level of each generator block in running order: down through the levels, then up.

    Half the blocks of a level run on the way down (rounded down), the rest on the way up;
    the deepest level runs all of its blocks at the bottom.
    """
    deepest = len(blocks) - 1
    down = [lvl for lvl in range(deepest) for _ in range(blocks[lvl] // 2)]
    up = [lvl for lvl in reversed(range(deepest)) for _ in range(blocks[lvl] - blocks[lvl] // 2)]
    return down + [deepest] * blocks[deepest] + up


class SketchGenerator(nn.Module):
    """The sketch pathway: a U-Net with one level per entry of `blocks` (that many residual
    blocks), from 1/4 of the crop at `width` channels, each level half the resolution and
    twice the width of the one above."""

    def __init__(self, width: int, blocks):
        super().__init__()
        self.widths = [width * 2**lvl for lvl in range(len(blocks))]
        self.levels = _block_levels(blocks)
        self.stem = _patchify(3, width)
        self.down = nn.ModuleList(_conv(a, b, stride=2) for a, b in zip(self.widths, self.widths[1:]))
        self.up = nn.ModuleList(_conv(b, a, kernel=1) for a, b in zip(self.widths, self.widths[1:]))
        self.blocks = nn.ModuleList(ResBlock(self.widths[lvl]) for lvl in self.levels)
        self.head_up = _conv(width, _HEAD_CHANNELS)
        self.head_out = _conv(_HEAD_CHANNELS, 3 * 4)

    def forward(self, sketch, stem_shift, conditions):
        """conditions: one (gain or None, shift) per block, broadcastable to its features."""
        h = F.relu(self.stem(sketch) + stem_shift)
        skips, level = [], 0
        for block, lvl, (gain, shift) in zip(self.blocks, self.levels, conditions):
            h, level = self._move(h, level, lvl, skips)
            h = block(h, gain, shift)
        h, _ = self._move(h, level, 0, skips)
        h = F.relu(_upsample(self.head_up(F.relu(h))))
        return torch.sigmoid(F.pixel_shuffle(self.head_out(h), 2))

    def _move(self, h, level, target, skips):
        while level < target:
            skips.append(h)
            h = F.relu(self.down[level](h))
            level += 1
        while level > target:
            level -= 1
            h = skips.pop() + _upsample(self.up[level](h))
        return h, level


class ReferenceEncoder(nn.Module):
    """Reference image + its sketch -> one feature map per generator level."""

    def __init__(self, widths, blocks_per_level: int = 2):
        super().__init__()
        self.stem = _patchify(6, widths[0])
        self.down = nn.ModuleList(_conv(a, b, stride=2) for a, b in zip(widths, widths[1:]))
        self.levels = nn.ModuleList(
            nn.Sequential(*(ResBlock(w) for _ in range(blocks_per_level))) for w in widths
        )

    def forward(self, image, sketch):
        h = F.relu(self.stem(torch.cat([image, sketch], 1)))
        features = []
        for lvl, blocks in enumerate(self.levels):
            if lvl:
                h = F.relu(self.down[lvl - 1](h))
            h = blocks(h)
            features.append(h)
        return features


class TwinRenderer(nn.Module):
    """forward(sketch, reference_image, reference_sketch) -> RGB image in [0, 1].

    sketch: (B, 3, S, S) in [0, 1]; reference_image and reference_sketch: (B, 3, S, S), or
    (B, K, 3, S, S) for K references per sample, whose features are averaged. S = image_size.
    """

    def __init__(self, width: int = 32, blocks=(2, 2, 2, 2), image_size: int = 256):
        super().__init__()
        blocks = list(blocks)
        stride = 4 * 2 ** (len(blocks) - 1)
        if image_size % stride or min(blocks) < 1:
            raise ValueError(f"image_size must be a multiple of {stride} and every level needs a block")
        self.config = {"width": width, "blocks": blocks, "image_size": image_size}
        self.generator = SketchGenerator(width, blocks)
        widths = self.generator.widths
        self.reference = ReferenceEncoder(widths)
        # Per level: one spatial shift map for each of its blocks (level 0 also feeds the stem).
        counts = [self.generator.levels.count(lvl) + (lvl == 0) for lvl in range(len(widths))]
        self.to_shift = nn.ModuleList(_conv(w, n * w, kernel=1) for w, n in zip(widths, counts))
        # Per block: a per-channel gain from the global reference vector; starts at 1.
        self.to_gain = nn.Linear(widths[-1], sum(widths[lvl] for lvl in self.generator.levels))
        nn.init.zeros_(self.to_gain.weight)
        nn.init.zeros_(self.to_gain.bias)

    def forward(self, sketch, reference_image, reference_sketch):
        return self.generator(sketch, *self.condition(reference_image, reference_sketch))

    def condition(self, reference_image, reference_sketch):
        """The reference as (stem_shift, [(gain, shift) per generator block])."""
        if reference_image.dim() == 4:
            reference_image, reference_sketch = reference_image[:, None], reference_sketch[:, None]
        b, k = reference_image.shape[:2]
        features = self.reference(reference_image.flatten(0, 1), reference_sketch.flatten(0, 1))
        features = [f.unflatten(0, (b, k)).mean(1) for f in features]
        shifts = [list(head(f).split(f.shape[1], 1)) for head, f in zip(self.to_shift, features)]
        stem_shift = shifts[0].pop(0)
        levels = self.generator.levels
        gains = 1 + self.to_gain(features[-1].mean((2, 3)))
        gains = gains.split([self.generator.widths[lvl] for lvl in levels], 1)
        conditions = [(g[:, :, None, None], shifts[lvl].pop(0)) for g, lvl in zip(gains, levels)]
        return stem_shift, conditions

    @torch.no_grad()
    def bake(self, reference_image, reference_sketch) -> "BakedRenderer":
        """Fold one person's reference, (3, S, S) or (K, 3, S, S), into a sketch-only model."""
        if reference_image.dim() == 3:
            reference_image, reference_sketch = reference_image[None], reference_sketch[None]
        stem_shift, conditions = self.condition(reference_image[None], reference_sketch[None])
        return BakedRenderer(self.generator, stem_shift, conditions, self.config)


class BakedRenderer(nn.Module):
    """forward(sketch (1, 3, S, S)) -> image: the generator with one reference folded in.

    The reference maps are parameters, so a baked model can itself be fine-tuned.
    """

    def __init__(self, generator: SketchGenerator, stem_shift, conditions, config: dict):
        super().__init__()
        self.config = copy.deepcopy(config)
        self.generator = copy.deepcopy(generator)
        for block, (gain, _) in zip(self.generator.blocks, conditions):
            # (conv(x) + b) * g == conv with weights and bias scaled by g, per output channel.
            g = gain.reshape(-1)
            block.conv1.weight.data.mul_(g[:, None, None, None])
            block.conv1.bias.data.mul_(g)
        self.stem_shift = nn.Parameter(stem_shift.detach().clone())
        self.shifts = nn.ParameterList(shift.detach().clone() for _, shift in conditions)

    def forward(self, sketch):
        return self.generator(sketch, self.stem_shift, [(None, shift) for shift in self.shifts])
