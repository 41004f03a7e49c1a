"""The one-slot queue between the camera and inference: the newest frame wins, stale ones are dropped."""

import threading
import time

from desktop_twin.runtime.frame_slot import FrameSlot


def test_a_new_item_replaces_the_one_not_taken_and_counts_it_dropped():
    slot = FrameSlot()
    for item in range(3):
        slot.put(item)
    assert slot.take(0) == 2
    assert slot.dropped == 2
    assert slot.take(0) is None  # taken: the slot is empty again


def test_an_item_taken_in_time_is_not_dropped():
    slot = FrameSlot()
    for item in range(3):
        slot.put(item)
        assert slot.take(0) == item
    assert slot.dropped == 0


def test_close_wakes_a_waiting_consumer_after_it_takes_what_is_left():
    slot = FrameSlot()
    slot.put("last")
    slot.close()
    assert slot.take(None) == "last"
    assert slot.take(None) is None  # returns at once, never blocks once closed


def test_a_slow_consumer_sees_ever_newer_items_and_the_rest_are_dropped():
    slot, seen = FrameSlot(), []

    def consume():
        while (item := slot.take(None)) is not None:
            seen.append(item)
            time.sleep(0.005)  # slower than the producer: stale items pile up

    consumer = threading.Thread(target=consume)
    consumer.start()
    for item in range(200):
        slot.put(item)
        time.sleep(0.0005)
    slot.close()
    consumer.join(10)
    assert not consumer.is_alive()
    assert seen == sorted(set(seen))  # never an older item after a newer one
    assert seen[-1] == 199  # the newest item is never lost
    assert len(seen) + slot.dropped == 200 and slot.dropped > 0
