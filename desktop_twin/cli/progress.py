"""A progress bar on a terminal (tqdm); silent when output goes to a script."""

import sys

from tqdm import tqdm


class ProgressBar:
    def __init__(self, description: str, unit: str = "it", enabled: bool = True):
        self._bar = tqdm(desc=description, unit=unit, disable=not enabled or not sys.stderr.isatty(),
                         dynamic_ncols=True, leave=False)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None and self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def describe(self, text: str) -> None:
        self._bar.set_postfix_str(text, refresh=False)

    def write(self, text: str) -> None:
        tqdm.write(text)

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self._bar.close()
