"""Argument types shared by the commands."""

import argparse
from collections.abc import Callable


def _bounded(kind: Callable[[str], float], accepts: Callable[[float], bool], requirement: str):
    """An argparse type: a number of `kind` that `accepts`, else an error saying it must be `requirement`."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, not {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """A number of `kind` above zero (0 steps or -1 minutes is a typo, not a request)."""
    return _bounded(kind, lambda value: value > 0, "above zero")


def not_negative(kind: Callable[[str], float]) -> Callable[[str], float]:
    """A number of `kind`, zero or more (where zero means none, as in `--minutes 0`: no limit)."""
    return _bounded(kind, lambda value: value >= 0, "zero or more")


fraction = _bounded(float, lambda value: 0 <= value <= 1, "from 0 to 1")  # a number from 0 to 1
