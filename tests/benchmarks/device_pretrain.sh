#!/usr/bin/env bash
# One GPU session: pretrain the base renderer from a pack, then time training steps per preset.
#   tests/benchmarks/device_pretrain.sh PACK MINUTES OUT_DIR [skip-speed]
set -euo pipefail
pack=$1; minutes=$2; out=$3
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
python3 - "$pack" "$minutes" "$out" <<'PY'
import json, sys, time
from pathlib import Path
import torch
from desktop_twin.training.pretrain import pretrain
pack, minutes, out = Path(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
torch.backends.cudnn.benchmark = True
summary = pretrain(pack, out / "base_renderer.pt", steps=int(minutes * 60 * 20),  # about 20 steps/s here
                   batch_size=32, minutes=minutes,
                   workers=14, progress=lambda step, h: print(step, {k: round(v, 4) for k, v in h.items()}, flush=True))
summary["steps_per_second"] = summary["steps"] / summary["seconds"]
(out / "pretrain_summary.json").write_text(json.dumps(summary, indent=1))
print("pretrain", {k: v for k, v in summary.items() if k != "history"})
PY
[ "${4:-}" = "skip-speed" ] || python3 tests/benchmarks/train_speed.py --seconds 8 | tee "$out/train_speed.jsonl"
