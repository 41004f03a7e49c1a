"""One writer at a time on a twin, across processes: the app and a command working on the same
twin would each save the manifest they read, and one would lose what the other wrote.

The lock is an advisory flock on the twin's folder itself: it moves with a rename, leaves no
file behind, and the system releases it when the process ends, however it ends. Work that only
reads a twin (preview, export, evaluate) takes no lock.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop_twin.errors import UserError

try:
    import fcntl
except ImportError:  # Windows has no flock: there the app's own checks keep its jobs apart
    fcntl = None


@contextmanager
def twin_lock(folder: Path, name: str) -> Iterator[None]:
    """Hold the twin's folder for the block, or raise a UserError saying it is busy."""
    if fcntl is None:
        yield
        return
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError as error:
        raise UserError(f"Cannot open the twin {name!r} ({error.strerror}): was it renamed or deleted?") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"{name} is busy: another window or command is importing, preparing, training, "
                            "renaming or deleting it. Try again when that is done.") from None
        yield
    finally:
        os.close(handle)  # and with it the lock
