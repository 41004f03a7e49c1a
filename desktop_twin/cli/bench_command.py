"""bench: what this machine does with a twin: milliseconds per stage and frames per second."""

from pathlib import Path

from desktop_twin.cli.arguments import positive
from desktop_twin.cli.output import print_json

STAGE_LABELS = {"face": "face tracking", "retarget_sketch": "retarget + sketch", "renderer": "renderer",
                "composite": "composite", "total": "whole frame"}


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="measure the live path's speed on this machine",
        description="Median milliseconds per stage (face detector, landmarks, the twin's renderer, the whole "
                    "pipeline without the camera) and frames per second, for each ONNX Runtime provider that "
                    "works here. Without a .twin file, the face models only.")
    parser.add_argument("twin", type=Path, nargs="?", metavar="FILE.twin")
    parser.add_argument("--drive", type=Path, metavar="VIDEO",
                        help="run the pipeline on this video's frames (default: the twin's own frame, replayed)")
    parser.add_argument("--runs", type=positive(int), default=50, metavar="N",
                        help="timed runs per figure (default 50)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args) -> int:
    from desktop_twin.errors import UserError
    from desktop_twin.export.bundle import read_twin
    from desktop_twin.runtime.bench import run_bench

    if args.runs < 1:
        raise UserError("--runs must be at least 1.")
    bundle = read_twin(args.twin) if args.twin is not None else None
    result = run_bench(bundle, args.drive, args.runs)
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0


def print_report(result: dict) -> None:
    machine = result["machine"]
    gpu = f", GPU {machine['gpu']}" if machine["gpu"] else ""
    print(f"Machine: {machine['cpu']}, {machine['logical_cores']} logical cores{gpu}; {machine['system']}; "
          f"ONNX Runtime {result['onnxruntime']}")
    twin = result["twin"]
    what = f"twin {twin['name']!r} (renderer {twin['renderer_size']} px)" if twin else "face models only"
    print(f"{what}; frames: {result['frames']}; median of {result['runs']} runs")
    for entry in result["results"]:
        print()
        print(f"{entry['provider']}")
        print(f"  {'face detector':<20} {entry['detector_ms']:7.2f} ms")
        print(f"  {'face landmarks':<20} {entry['landmarks_ms']:7.2f} ms")
        for size, ms in entry.get("renderer_ms", {}).items():
            print(f"  {f'renderer @{size} px':<20} {ms:7.2f} ms   ({entry['renderer_provider']})")
        if "pipeline_stages_ms" in entry:
            print("  whole pipeline, without the camera:")
            for stage, ms in entry["pipeline_stages_ms"].items():
                print(f"    {STAGE_LABELS.get(stage, stage):<18} {ms:7.2f} ms")
            print(f"  {'frames per second':<20} {entry['pipeline_fps']:7.1f}")
