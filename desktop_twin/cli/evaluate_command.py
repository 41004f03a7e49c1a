"""evaluate: drive a trained twin with footage's own landmarks and score it against the real frames."""

from pathlib import Path

from desktop_twin.cli.output import print_json
from desktop_twin.cli.progress import ProgressBar

# metric -> (label in the table, format, which way is better)
ROWS = {
    "psnr": ("face PSNR (dB)", "{:.2f}", "higher"),
    "ssim": ("face SSIM", "{:.3f}", "higher"),
    "mouth_psnr": ("mouth PSNR (dB)", "{:.2f}", "higher"),
    "mouth_ssim": ("mouth SSIM", "{:.3f}", "higher"),
    "identity_distance": ("identity distance", "{:.3f}", "lower"),
    "landmark_error_px": ("landmark error (px @256)", "{:.2f}", "lower"),
    "mouth_landmark_error_px": ("mouth landmark error (px @256)", "{:.2f}", "lower"),
}
COLUMNS = {"twin": "twin", "mean_frame": "mean frame", "nearest_landmarks": "nearest landmarks"}


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="score a trained twin on footage, against two simple baselines",
        description="Drive the twin with each frame's own landmarks and compare it with the real frame. "
                    "Two baselines are scored on the same frames: the mean training frame, and the training "
                    "frame with the nearest landmarks.")
    parser.add_argument("name", help="a twin's name, or a .twin file")
    parser.add_argument("footage", metavar="FOOTAGE",
                        help="a video file, or 'held-out' for the twin's own frames it was not trained on")
    parser.add_argument("--start", type=float, metavar="S", help="first second of the footage to use")
    parser.add_argument("--end", type=float, metavar="S", help="last second of the footage to use")
    parser.add_argument("--samples", type=Path, metavar="DIR",
                        help="write a few images (real | twin | nearest landmarks) into this folder")
    parser.add_argument("--lipsync", action="store_true",
                        help="score lip sync instead: the held-out frames' sound drives the twin's mouth, compared "
                             "with the real mouth (landmark error, opening correlation) and two baselines")
    parser.add_argument("--json", action="store_true", help="print one JSON object, no progress bar")
    parser.set_defaults(run=run)


def run(args) -> int:
    from desktop_twin.store import names_a_twin_file, open_project

    if args.lipsync:
        return run_lipsync(args)
    if names_a_twin_file(args.name):
        return run_twin_file(args)
    from desktop_twin.training.evaluate import evaluate_twin

    project = open_project(args.name)
    with ProgressBar("Evaluating", unit="frame", enabled=not args.json) as bar:
        result = evaluate_twin(project, args.footage, args.start, args.end, samples_dir=args.samples,
                               progress=lambda p: bar.update(p.frames_done, p.frames_total))
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0


def print_report(result: dict) -> None:
    print(f"Twin at step {result['step']} ({result['image_size']} px), {result['frames']} frames of "
          f"{result['footage']}{time_range(result)}")
    scores = {"twin": result["twin"], **result["baselines"]}
    label_width = max(len(label) for label, _, _ in ROWS.values())
    widths = [max(len(title), 8) for title in COLUMNS.values()]
    print(f"{'':<{label_width}}  " + "  ".join(f"{t:>{w}}" for t, w in zip(COLUMNS.values(), widths)) + "  better")
    for key, (label, number, better) in ROWS.items():
        cells = [f"{number.format(scores[name][key]):>{w}}" for name, w in zip(COLUMNS, widths)]
        print(f"{label:<{label_width}}  " + "  ".join(cells) + f"  {better}")
    for path in result.get("samples", []):
        print(f"wrote {path}")


def time_range(result: dict) -> str:
    if result["start"] is None and result["end"] is None:
        return ""
    end = "end" if result["end"] is None else f"{result['end']:g} s"
    return f", {result['start'] or 0:g} s to {end}"


def run_twin_file(args) -> int:
    """A .twin file scored through ONNX Runtime: the same frames and crops as the torch evaluation."""
    from desktop_twin.errors import UserError
    from desktop_twin.export.bundle import read_twin
    from desktop_twin.runtime.evaluate_twin_file import evaluate_bundle

    if args.footage == "held-out" or args.samples is not None:
        raise UserError("A .twin file is scored on a video file (not 'held-out'), without --samples.")
    bundle = read_twin(Path(args.name))
    with ProgressBar("Evaluating", unit="frame", enabled=not args.json) as bar:
        result = evaluate_bundle(bundle, args.footage, args.start, args.end,
                                 progress=lambda p: bar.update(p.frames_done, p.frames_total))
    if args.json:
        print_json(result)
        return 0
    print(f"{result['name']}.twin ({result['image_size']} px, {result['provider']}), {result['frames']} frames "
          f"of {result['footage']}{time_range(result)}")
    for key in ("psnr", "ssim", "mouth_psnr", "mouth_ssim"):
        label, number, better = ROWS[key]
        print(f"{label:<16} {number.format(result['twin'][key])}  ({better} is better)")
    return 0


LIPSYNC_ROWS = {
    "mouth_landmark_error_px": ("mouth landmark error (px @256)", "{:.2f}", "lower"),
    "opening_correlation": ("mouth opening correlation", "{:.3f}", "higher"),
    "opening_std_ratio": ("opening spread / real", "{:.2f}", "1 is real"),
}
LIPSYNC_COLUMNS = {"model": "twin", "neutral": "neutral", "loudness": "loudness"}


def run_lipsync(args) -> int:
    """Lip sync of a project's speaking twin on its own held-out footage."""
    from desktop_twin.errors import UserError
    from desktop_twin.store import open_project
    from desktop_twin.training.lipsync import evaluate_lipsync

    if args.name.endswith(".twin") or args.footage != "held-out" or args.start is not None or args.end is not None:
        raise UserError("Lip sync is scored on a twin project's own held-out footage: "
                        "desktop-twin evaluate NAME held-out --lipsync")
    result = evaluate_lipsync(open_project(args.name))
    if args.json:
        print_json(result)
        return 0
    print(f"Lip sync of twin {args.name!r} on {result['frames']} held-out frames ({result['seconds']:g} s): their "
          f"sound drives the twin's neutral face; the real footage's landmarks are the answer.")
    label_width = max(len(label) for label, _, _ in LIPSYNC_ROWS.values())
    print(f"{'':<{label_width}}  " + "  ".join(f"{t:>8}" for t in LIPSYNC_COLUMNS.values()) + "  better")
    for key, (label, number, better) in LIPSYNC_ROWS.items():
        cells = [f"{number.format(result[name][key]):>8}" for name in LIPSYNC_COLUMNS]
        print(f"{label:<{label_width}}  " + "  ".join(cells) + f"  {better}")
    return 0
