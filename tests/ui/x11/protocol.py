"""The child programs report to the test as JSON lines on stdout."""

import json
import sys


def report(event: str, **values) -> None:
    print(json.dumps({"event": event, **values}), flush=True)
    sys.stdout.flush()


def global_center(widget) -> list[int]:
    point = widget.mapToGlobal(widget.rect().center())
    return [point.x(), point.y()]
