"""Printing results: plain lines for people, one JSON object for scripts."""

import json
import sys
from typing import Any


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_fields(fields: dict[str, Any]) -> None:
    width = max(map(len, fields), default=0)
    for key, value in fields.items():
        print(f"{key.replace('_', ' '):<{width}}  {value}")
