"""`desktop-twin record`: a guided recording session into a twin project, from a terminal."""

import argparse

from desktop_twin.cli.arguments import positive
from desktop_twin.errors import UserError


def add_record_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "record", help="record yourself for a twin, with guidance (webcam and microphone)",
        description="Record a guided session into the twin NAME: a consent statement first (once per twin), "
                    "then prompts to read, turn and express, with live quality warnings.",
    )
    parser.add_argument("name", nargs="?", help="the twin to record for")
    parser.add_argument("--seconds", type=positive(float), help="length of the take (default: the whole script)")
    parser.add_argument("--camera", default="0", help="camera index or name, or a video file (default: 0)")
    parser.add_argument("--mic", help="microphone index or name (default: the system's default)")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    parser.add_argument("--devices", action="store_true", help="list cameras and microphones, then exit")
    parser.set_defaults(run=run_record)
    return parser


def add_parsers(subparsers) -> None:
    add_record_parser(subparsers)


def run_record(args: argparse.Namespace) -> int:
    """Raises UserError for the caller to show; returns 1 when nothing usable was recorded."""
    # Imported here: sounddevice starts PortAudio on import, which probes every sound
    # device, and `desktop-twin --help` should not wait for that.
    from desktop_twin.cli import record_session as record_command

    if args.devices:
        record_command.print_devices()
        return 0
    if not args.name:
        raise UserError("Which twin? Give its name: desktop-twin record NAME")
    return record_command.record(args.name, args.camera, args.mic, args.seconds, args.json)
