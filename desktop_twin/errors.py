"""Errors the user can act on, and the commands they suggest."""

import shlex


class UserError(Exception):
    """A failure the user can act on; str() is the message shown."""


def command(*words: str) -> str:
    """A desktop-twin command line to suggest, quoted so it runs as shown: desktop-twin train 'Ann Lee'."""
    return shlex.join(["desktop-twin", *words])
