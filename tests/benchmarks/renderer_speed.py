"""Speed of the baked twin renderer through ONNX Runtime on the CPU, per preset.

    .venv/bin/python tests/benchmarks/renderer_speed.py [PRESET ...] [--config JSON] [--rounds N]

Exports each baked renderer (opset 18) to a temporary folder, then times ONNX Runtime's CPU
provider (graph optimisation ALL, batch 1) with 1 and 2 intra-op threads: 50 runs after a
warm-up per round, rounds interleaved across models so that a noisy spell hits them alike;
prints the median of the round medians (and, for 2 threads, the quietest round's), the
parameters of the full and the baked model, the ONNX file's size, GMACs and the largest
torch-vs-ORT difference. The live renderer's budget is about 15 ms on 2 threads.

Candidates, baked, 256 px, on the 2-core development machine. ms: 1 thread, median of 5
round medians (stable to about 10%); 2 threads, the quietest round's median (other work on
the machine made 2-thread medians swing 2-4x). PSNR: held-out frames (the last 15 s of
`talking/t01`) after fine-tuning the baked model alone, from random weights, for 2000 steps
of L1 (batch 16, AdamW 1e-3, one seed; a GPU took 17 s).

| generator                                   | params full/baked | GMACs | 1t ms | 2t ms | PSNR |
|---------------------------------------------|-------------------|-------|-------|-------|------|
| flat: 8 res blocks at 64 px, width 32       | 0.2 M / 1.3 M     | 0.68  | 15    | 10    | 22.2 |
| U-Net 64/32/16 px, blocks 2/2/2, width 32   | 1.9 M / 1.5 M     | 0.57  | 12    | 7     |      |
| U-Net 64/32/16 px, blocks 2/2/4, width 32   | 2.5 M / 2.1 M     | 0.72  | 15-16 | 9     | 22.7 |
| U-Net 64/32/16 px, blocks 2/4/4, width 32   | 2.7 M / 2.4 M     | 0.87  | 18    | 10    |      |
| U-Net 64..8 px, blocks 2/2/2/2, width 32    | 7.5 M / 4.2 M     | 0.74  | 16    | 9     | 23.0 |
| U-Net 64..8 px, blocks 2/2/2/4, width 32    | 10.2 M / 6.6 M    | 0.89  | 19    |       |      |
| U-Net 64/32/16 px, blocks 2/2/4, width 48   | 5.7 M / 4.3 M     | 1.55  | 30    | 16    | 22.7 |
| U-Net 64..8 px, blocks 2/2/2/2, width 48    | 16.9 M / 9.0 M    | 1.60  | 34    | 18    |      |

"standard" is the four-level U-Net at width 32: for about the cost of the flat design it has
three times the baked parameters, a receptive field over the whole crop and the best
held-out score; "high" is the same at width 48, "draft" the same network at 128 px. Width 40 ran as
slowly as 48 (multiples of 16 suit the kernels). A first version with a pixel-unshuffle in
and pixel-shuffles up cost 18 ms instead of 15 on 1 thread: ONNX Runtime spent 1.1 ms on
the Transpose of the unshuffle and 2.5 ms on DepthToSpace, hence strided convolutions in
and nearest resizes up.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from desktop_twin.training.renderer import (
    ONNX_INPUT,
    ONNX_OPSET,
    ONNX_OUTPUT,
    PRESETS,
    TwinRenderer,
    renderer_config,
)


def baked_model(config: dict) -> nn.Module:
    """A baked renderer with untrained but non-zero weights (zeros would flatter the timing)."""
    torch.manual_seed(0)
    model = TwinRenderer(**config).eval()
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.normal_(0, 0.02)
        size = config["image_size"]
        return model.bake(torch.rand(3, size, size), torch.rand(3, size, size)).eval()


def export(model: nn.Module, size: int, path: Path) -> None:
    torch.onnx.export(
        model, (torch.rand(1, 3, size, size),), str(path), dynamo=True, opset_version=ONNX_OPSET,
        input_names=[ONNX_INPUT], output_names=[ONNX_OUTPUT], external_data=False, verbose=False,
    )


def session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def gmacs(model: nn.Module, size: int) -> float:
    total = 0

    def count(module, _inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() * module.in_channels // module.groups * kh * kw

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.rand(1, 3, size, size))
    for hook in hooks:
        hook.remove()
    return total / 1e9


def median_ms(sess: ort.InferenceSession, feed: dict, runs: int = 50, warmup: int = 10) -> float:
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--config", action="append", default=[], help="TwinRenderer arguments as JSON")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configs = {name: renderer_config(name) for name in args.presets}
    configs.update({text: json.loads(text) for text in args.config})

    rows, timings = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, config) in enumerate(configs.items()):
            size = config["image_size"]
            model = baked_model(config)
            path = Path(tmp) / f"renderer{i}.onnx"
            export(model, size, path)
            sketch = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
            feed = {ONNX_INPUT: sketch}
            sessions = {threads: session(path, threads) for threads in (1, 2)}
            with torch.no_grad():
                expected = model(torch.from_numpy(sketch)).numpy()
            full = TwinRenderer(**config)
            rows[name] = {
                "params": sum(p.numel() for p in full.parameters()) / 1e6,
                "baked": sum(p.numel() for p in model.parameters()) / 1e6,
                "gmacs": gmacs(model, size),
                "diff": float(np.abs(sessions[1].run(None, feed)[0] - expected).max()),
                "mb": path.stat().st_size / 2**20,
            }
            timings.update({(name, t): (s, feed) for t, s in sessions.items()})
        medians = {key: [] for key in timings}
        for _ in range(args.rounds):
            for key, (sess, feed) in timings.items():
                medians[key].append(median_ms(sess, feed))

    print(f"{'model':44s} {'size':>4s} {'params':>7s} {'baked':>7s} {'onnx':>6s} {'GMACs':>6s} "
          f"{'1t ms':>6s} {'2t ms':>6s} {'2t min':>6s} {'max|diff|':>9s}")
    for name, row in rows.items():
        t1, t2 = (statistics.median(medians[name, t]) for t in (1, 2))
        print(f"{name:44s} {configs[name]['image_size']:4d} {row['params']:6.2f}M {row['baked']:6.2f}M "
              f"{row['mb']:5.1f}M {row['gmacs']:6.3f} {t1:6.1f} {t2:6.1f} {min(medians[name, 2]):6.1f} "
              f"{row['diff']:9.1e}")


if __name__ == "__main__":
    main()
