"""Chart of transfer curves: held-out PSNR against steps, from the base and from scratch, with the
baselines as level lines. Reads the JSON lines that transfer.py (and device_twin_model.sh) print,
curves or runs of several lengths (--budgets), in any order.

    python -m tests.benchmarks.transfer_chart CURVES.jsonl --out CHART.png [--title TEXT]
"""

import argparse
import json
from pathlib import Path

import numpy as np

from tests.benchmarks.charts import line_chart

COLOURS = {"base": (200, 90, 20), "scratch": (40, 150, 240), "nearest_landmarks": (120, 120, 120),
           "mean_frame": (190, 190, 190)}
NAMES = {"base": "from the base", "scratch": "from scratch", "nearest_landmarks": "nearest frame",
         "mean_frame": "mean frame"}


def read_curves(path: Path) -> tuple[dict[str, list[tuple[int, float]]], dict[str, float]]:
    curves, levels = {}, {}
    for line in Path(path).read_text().splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        start = record.get("start")
        if start in ("base", "scratch") and "step" in record:
            curves.setdefault(start, []).append((record["step"], record["psnr"]))
        elif start in ("mean_frame", "nearest_landmarks"):
            levels[start] = record["psnr"]
    return {start: sorted(points) for start, points in curves.items()}, levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("curves", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--title", default="held-out PSNR (dB) against training steps")
    args = parser.parse_args()
    curves, levels = read_curves(args.curves)
    last = max(step for points in curves.values() for step, _ in points)
    series = {NAMES[name]: (np.array([0, last]), np.array([value, value]), COLOURS[name], 1)
              for name, value in levels.items()}
    series |= {NAMES[name]: (np.array([s for s, _ in points]), np.array([p for _, p in points]), COLOURS[name], 2)
               for name, points in curves.items()}
    low = int(min(v for _, ys, _, _ in series.values() for v in ys))
    high = int(max(v for _, ys, _, _ in series.values() for v in ys)) + 1
    ticks = [(round(x), f"{round(x):,}") for x in np.linspace(0, last, 6)]
    print(line_chart(args.out, series, args.title, ticks, [(v, f"{v} dB") for v in range(low, high + 1)]))


if __name__ == "__main__":
    main()
