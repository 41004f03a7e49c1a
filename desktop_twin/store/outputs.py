"""Checking where a command will write, before it does any work."""

import tempfile
from pathlib import Path

from desktop_twin.errors import UserError, write_failure


def check_output_file(path: Path, suffix: str, what: str, source: Path | None = None) -> Path:
    """`path` must name a new or replaceable `suffix` file in a folder that exists and takes files;
    not a folder, and not `source`, the file the work reads. `what` names such a file: "an MP4 video"."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise UserError(f"Cannot write {path.name}: its name must end in {suffix} "
                        f"({what}'s name ends in {suffix}, for example {path.stem}{suffix}).")
    if path.is_dir():
        raise UserError(f"Cannot write {path}: it is a folder.")
    if not path.parent.is_dir():
        raise UserError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    if source is not None and path.exists() and path.resolve() == Path(source).resolve():
        raise UserError(f"The output would overwrite {Path(source).name}, which it is made from: "
                        "choose another --out.")
    try:  # a file made and removed: permissions alone do not tell (root, a read-only disk)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise UserError(f"Cannot write {path}: {write_failure(error)}") from None
    return path
