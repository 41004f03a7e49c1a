"""doctor: what this machine offers the app (devices, GPU, ONNX Runtime providers, disk)."""

import shutil
import subprocess

from desktop_twin.cli.output import print_json


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help="check cameras, microphones, GPU and disk")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(run=run)


def run(args) -> int:
    report = {
        "cameras": _cameras(),
        "microphones": _microphones(),
        "gpu": _gpu(),
        "onnxruntime": _onnxruntime(),
        "disk": _disk(),
    }
    if args.json:
        print_json(report)
        return 0
    cameras = report["cameras"]
    print("cameras:", ", ".join(f"{c['name']} ({c['width']}x{c['height']} at {c['fps']:.0f} fps)" for c in cameras)
          if cameras else "none found (a video file can stand in: desktop-twin record NAME --camera FILE)")
    mics = report["microphones"]
    print("microphones:", ", ".join(m["name"] for m in mics) if isinstance(mics, list) and mics else mics or "none found")
    print("gpu:", report["gpu"] or "none (training and preview run on the CPU)")
    ort = report["onnxruntime"]
    print(f"onnxruntime {ort['version']}: usable providers {', '.join(ort['usable'])}")
    disk = report["disk"]
    print(f"disk: {disk['free_gb']:.1f} GB free at {disk['path']}")
    return 0


def _cameras() -> list[dict]:
    from dataclasses import asdict

    from desktop_twin.capture.cameras import list_cameras

    return [asdict(camera) for camera in list_cameras()]


def _microphones():
    try:
        import sounddevice
    except OSError as error:  # PortAudio itself is missing
        return f"unavailable: {error}"
    return [{"index": i, "name": d["name"], "channels": d["max_input_channels"],
             "sample_rate": d["default_samplerate"]}
            for i, d in enumerate(sounddevice.query_devices()) if d["max_input_channels"] > 0]


def _gpu() -> str | None:
    if not shutil.which("nvidia-smi"):
        return None
    result = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                            capture_output=True, text=True, timeout=10)
    return result.stdout.strip() or None


def _onnxruntime() -> dict:
    import onnxruntime

    from desktop_twin.face.onnx_session import usable_providers

    return {"version": onnxruntime.__version__, "available": onnxruntime.get_available_providers(),
            "usable": usable_providers()}


def _disk() -> dict:
    from desktop_twin.store import data_root

    path = data_root()
    while not path.exists():
        path = path.parent
    return {"path": str(path), "free_gb": shutil.disk_usage(path).free / 1e9}
