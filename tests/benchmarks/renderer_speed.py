"""Speed of the baked twin renderer through ONNX Runtime on the CPU, per preset.

    .venv/bin/python tests/benchmarks/renderer_speed.py [PRESET ...] [--config JSON] [--rounds N]

Exports each baked renderer (opset 18) to a temporary folder, then times ONNX Runtime's CPU
provider (graph optimisation ALL, batch 1) with 1 and 2 intra-op threads: 50 runs after a
warm-up per round, rounds interleaved across models so that a noisy spell hits them alike;
prints the median of the round medians (and, for 2 threads, the quietest round's), the
parameters of the full and the baked model, the ONNX file's size, GMACs and the largest
torch-vs-ORT difference. The live renderer's budget is about 15 ms on 2 threads.

Candidates measured on the 2-core development machine (median ms of 3-5 rounds; 2-thread
figures vary by up to 2x while other work runs, 1-thread figures by about 10%):

| generator (all 256 px, working at 64 px)          | params | GMACs | 1t ms | 2t ms |
|---------------------------------------------------|--------|-------|-------|-------|
| flat: 6 res blocks at 64 px, width 32             | 1.1 M  | 0.57  | 12    | 7     |
| flat: 8 res blocks at 64 px, width 32             | 1.4 M  | 0.72  | 15    | 9     |
| flat: 6 blocks, width 40                          | 1.4 M  | 0.85  | 23    | 13    |
| flat: 6 blocks, width 48                          | 1.7 M  | 1.19  | 23    | 13    |
| U-Net 64/32/16 px, widths 32/64/128, blocks 2/2/2 | 1.1 M  | 0.62  | 13    | 7     |
| U-Net 64/32/16 px, widths 32/64/128, blocks 2/2/4 | 1.7 M  | 0.77  | 16    | 9     |
| U-Net 64/32/16 px, widths 32/64/128, blocks 2/4/4 | 1.8 M  | 0.92  | 18    | 10    |

Width 40 runs as slowly as 48 (widths that are multiples of 16 suit the kernels). The U-Net
gives twice the parameters and a receptive field over the whole crop for the cost of the flat
design; "standard" is the 2/2/4 U-Net plus a 3x3 convolution at 128 px before the output.
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
