"""Errors the user can act on, and the commands they suggest."""

import errno
import os
import shlex

DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # what a write fails with on a full disk


class UserError(Exception):
    """A failure the user can act on; str() is the message shown."""


def command(*words: str) -> str:
    """A desktop-twin command line to suggest, quoted so it runs as shown: desktop-twin train 'Ann Lee'."""
    return shlex.join(["desktop-twin", *words])


def write_failure(error: OSError) -> str:
    """The system's reason a write failed, and what to do about it: "No space left on device. Free
    some space and try again." A full disk needs space; anything else (no permission, a read-only
    disk), another folder."""
    reason = error.strerror or (os.strerror(error.errno) if error.errno else str(error))
    advice = "Free some space and try again." if error.errno in DISK_FULL_ERRNOS else \
        "Choose a folder you can write to, or check its permissions."
    return f"{reason}. {advice}"
