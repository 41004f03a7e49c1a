"""Training steps per second of each preset on this machine's devices (random batches, real model).

    python tests/benchmarks/train_speed.py [--seconds 10]

Fine-tuning steps train the baked renderer (what `desktop-twin train` runs); the
figure excludes data loading, which runs beside the GPU in a real run.
"""

import argparse
import json
import time

import torch

from desktop_twin.training.losses import reconstruction_loss
from desktop_twin.training.presets import PRESETS
from desktop_twin.resources import model_path
from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.devices import mixed_precision
from desktop_twin.training.renderer import TwinRenderer
from desktop_twin.training.schedule import apply_gradients
from desktop_twin.training.trainer import BASE_MODEL


def steps_per_second(preset, device: torch.device, seconds: float) -> float:
    size, batch = preset.image_size, preset.batch_size
    renderer = TwinRenderer(**load_checkpoint(model_path(BASE_MODEL))["model_config"])
    model = renderer.bake(torch.rand(3, size, size), torch.rand(3, size, size)).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    # Images laid out as the trainer's batches are (to_tensors permutes (B, H, W, 3)): channels last,
    # which the CPU's convolutions run about twice as fast as (B, 3, H, W).
    sketch, target = (torch.rand(batch, size, size, 3, device=device).permute(0, 3, 1, 2) for _ in range(2))
    weights = torch.ones(batch, 1, size, size, device=device)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed_precision(device)):
            fake = model(sketch)
        apply_gradients(reconstruction_loss(fake.float(), target, weights)["total"], model, optimizer)

    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    results = []
    for device in devices:
        name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
        for preset in PRESETS.values():
            rate = steps_per_second(preset, device, args.seconds)
            results.append({"device": name, "preset": preset.name, "batch": preset.batch_size,
                            "size": preset.image_size, "steps_per_second": round(rate, 2)})
            print(json.dumps(results[-1]), flush=True)


if __name__ == "__main__":
    main()
