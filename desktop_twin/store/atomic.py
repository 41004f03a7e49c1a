"""Atomic file writes: a crash leaves the old file or the new one, never half of one."""

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_with(path, lambda f: f.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _new_file_mode() -> int:
    # Read once, at import: setting the umask to read it would race with threads creating files.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


NEW_FILE_MODE = _new_file_mode()


def atomic_write_with(path: Path, write: Callable[[Any], Any]) -> None:
    """Call write(file) on a temporary file beside path, fsync it, then rename it over path.

    The file gets the mode of the file it replaces, or the one the umask gives a new file
    (a temporary file is private: 0600, which would stay on a .twin meant to be shared).
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.is_file() else NEW_FILE_MODE
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def remove_leftovers(folder: Path, pattern: str) -> None:
    """The files matching pattern in folder that a process killed mid-write left. Call it holding the
    twin's lock for writing, so none is still being written; one the system holds open (a lock-less
    writer on Windows, say) stays."""
    for path in Path(folder).glob(pattern):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


# File systems that cannot sync a file say so with these; the write itself stands.
_CANNOT_SYNC = {errno.EINVAL, errno.ENOTSUP, errno.EBADF}


def sync_tree(folder: Path) -> None:
    """fsync every file below folder, and the folders: what a rename is about to publish (prepared
    footage, say) is then on the disk, not only in the system's cache, should the power fail."""
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            with open(path, "rb" if os.name == "posix" else "r+b") as f:  # Windows syncs only what it may write
                _fsync(f.fileno())
        elif path.is_dir():
            fsync_directory(path)
    fsync_directory(Path(folder))


def fsync_file(file) -> None:
    """An open file's writes onto the disk before it is renamed into place."""
    file.flush()
    _fsync(file.fileno())


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in _CANNOT_SYNC:
            raise


def fsync_directory(folder: Path) -> None:
    # The rename itself is durable only once the directory entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
