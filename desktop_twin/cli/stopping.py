"""Ctrl+C (SIGINT) and SIGTERM ask a long command to stop cleanly: the job stops between steps and
keeps its work (a checkpoint, the recording so far). A second signal ends the command at once."""

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_cleanly_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    asked = []

    def on_signal(number, frame) -> None:
        if asked:
            raise KeyboardInterrupt  # asked twice: the person wants out now
        asked.append(number)
        stop()

    previous = {number: signal.signal(number, on_signal) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
