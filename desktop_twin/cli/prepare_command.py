"""prepare: build a twin's training set from its footage."""

from desktop_twin.cli.output import print_fields, print_json
from desktop_twin.cli.progress import ProgressBar


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser("prepare", help="find the face in every frame and build the training set")
    parser.add_argument("name")
    parser.add_argument("--json", action="store_true", help="print one JSON object, no progress bar")
    parser.set_defaults(run=run)


def run(args) -> int:
    from desktop_twin.face.prepare import prepare_project
    from desktop_twin.store import open_project

    project = open_project(args.name)
    with ProgressBar("Preparing", unit="frame", enabled=not args.json) as bar:
        summary = prepare_project(project, progress=lambda p: bar.update(p.frames_done, p.frames_total))
    result = {
        "frames": summary.frames,
        "frames_with_face": summary.frames_with_face,
        "duration_seconds": summary.duration_seconds,
        "speech_seconds": summary.speech_seconds,
        "warnings": summary.warnings,
    }
    if args.json:
        print_json(result)
    else:
        print_fields({k: v for k, v in result.items() if k != "warnings"})
        for warning in summary.warnings:
            print(f"warning: {warning}")
    return 0
