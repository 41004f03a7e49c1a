"""A progress bar on a terminal (tqdm); where output goes to a file or a pipe, a few plain lines instead."""

import sys
import time

from tqdm import tqdm

LOG_SECONDS = 30.0  # where no bar is drawn, the most time between progress lines


class ProgressBar:
    def __init__(self, description: str, unit: str = "it", enabled: bool = True):
        drawn = enabled and sys.stderr.isatty()
        self._logged = enabled and not drawn  # a log gets lines now and then, not a bar redrawn in place
        self._description, self._unit, self._postfix = description, unit, ""  # a disabled tqdm keeps no desc or unit
        self._last_line = time.monotonic()
        self._bar = tqdm(desc=description, unit=unit, disable=not drawn, dynamic_ncols=True, leave=False)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None and self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()
        if self._logged and time.monotonic() - self._last_line >= LOG_SECONDS:
            of = f" of {self._bar.total}" if self._bar.total else ""
            postfix = f", {self._postfix}" if self._postfix else ""
            self.milestone(f"{self._description}: {done}{of} {self._unit}s{postfix}.")

    def describe(self, text: str) -> None:
        self._postfix = text
        self._bar.set_postfix_str(text, refresh=False)

    def write(self, text: str) -> None:
        tqdm.write(text)

    def milestone(self, text: str) -> None:
        """A line for where the bar is not drawn (output to a file or a pipe), so a log still shows progress."""
        if self._logged:
            print(text, flush=True)
            self._last_line = time.monotonic()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self._bar.close()
