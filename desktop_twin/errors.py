"""Errors the user can act on, and the commands they suggest."""

import errno
import os
import shlex


class UserError(Exception):
    """A failure the user can act on; str() is the message shown."""


def command(*words: str) -> str:
    """A desktop-twin command line to suggest, quoted so it runs as shown: desktop-twin train 'Ann Lee'."""
    return shlex.join(["desktop-twin", *words])


# What a write fails with on a full disk (EFBIG: or on one with a size cap).
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

# What to do when a write fails, by its cause; other causes (a read failing, say) get the reason alone.
_WRITE_ADVICE = {
    **dict.fromkeys(DISK_FULL_ERRNOS, "Free some space and try again."),
    errno.EFBIG: "Free some space, or choose a folder on another disk.",
    errno.EACCES: "Choose a folder you can write to, or check its permissions.",
    errno.EPERM: "Choose a folder you can write to, or check its permissions.",
    errno.EROFS: "Choose a folder on a disk that takes files.",
}
WRITING_ERRNOS = frozenset(_WRITE_ADVICE)  # errors that come from where something is written


def write_failure(error: OSError) -> str:
    """The system's reason a write failed and, where its cause tells, what to do about it:
    'No space left on device. Free some space and try again.'"""
    reason = error.strerror or (os.strerror(error.errno) if error.errno else str(error))
    advice = _WRITE_ADVICE.get(error.errno)
    return f"{reason}. {advice}" if advice else f"{reason}."
