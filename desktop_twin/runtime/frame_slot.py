"""A one-slot queue between a producer and a slower consumer: a new item replaces a stale one.

Live video must show the newest frame, not work through a backlog: when the consumer is busy,
a frame that waits is replaced by the next one, and the replaced frames are counted.
"""

import threading
from typing import Generic, TypeVar

Item = TypeVar("Item")


class FrameSlot(Generic[Item]):
    def __init__(self):
        self._item: Item | None = None
        self._full = False
        self._closed = False
        self._changed = threading.Condition()
        self.dropped = 0  # items replaced before anyone took them

    def put(self, item: Item) -> None:
        """Leave the item for the consumer, replacing (dropping) one it has not taken yet."""
        with self._changed:
            if self._full:
                self.dropped += 1
            self._item, self._full = item, True
            self._changed.notify_all()

    def take(self, timeout: float | None = None) -> Item | None:
        """The newest item, waiting up to timeout seconds for one; None on timeout, or once closed and empty."""
        with self._changed:
            self._changed.wait_for(lambda: self._full or self._closed, timeout)
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            return item

    def close(self) -> None:
        """No more items will come: a waiting take() returns what is left, then None."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
