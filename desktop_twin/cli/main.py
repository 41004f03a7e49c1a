"""Entry point of the desktop-twin command.

Each subcommand lives in its own module and is imported only when used, so
`desktop-twin info` does not pay for torch or Qt.
"""

import argparse
import importlib
import os
import sys

from desktop_twin import __version__
from desktop_twin.errors import UserError, write_failure

# subcommand -> module with add_parser(subparsers) and run(args) -> exit code
COMMANDS = {
    "new": "desktop_twin.cli.project_commands",
    "list": "desktop_twin.cli.project_commands",
    "import": "desktop_twin.cli.project_commands",
    "info": "desktop_twin.cli.project_commands",
    "prepare": "desktop_twin.cli.prepare_command",
    "landmarks": "desktop_twin.cli.landmarks_command",
    "doctor": "desktop_twin.cli.doctor_command",
    "train": "desktop_twin.cli.train_command",
    "pretrain": "desktop_twin.cli.train_command",
    "pretrain-speech": "desktop_twin.cli.train_command",
    "evaluate": "desktop_twin.cli.evaluate_command",
    "record": "desktop_twin.cli.record_command",
    "export": "desktop_twin.cli.export_command",
    "render": "desktop_twin.cli.render_command",
    "bench": "desktop_twin.cli.bench_command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-twin",
        description="Make a digital twin of yourself, offline. With no command, the application opens.",
    )
    parser.add_argument("--version", action="version", version=f"desktop-twin {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in dict.fromkeys(COMMANDS.values()):
        importlib.import_module(module_name).add_parsers(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from desktop_twin.ui.app import run_app

        return run_app()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as error:
        print(f"desktop-twin: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `desktop-twin info Ann | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 0
    except OSError as error:  # a full disk, a read-only folder: the system's words, without a traceback
        where = f" {error.filename}:" if error.filename else ""
        print(f"desktop-twin: cannot go on:{where} {write_failure(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("desktop-twin: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
