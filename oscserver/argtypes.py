"""argparse types for counts and ports: a bad value is refused with the reason (exit 2) before any work."""

from __future__ import annotations

import argparse


def at_least(lowest: int):
    """An int type that refuses values under ``lowest``: ``type=at_least(1)``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be at least {lowest}, not {value}")
        return value

    parse.__name__ = f"integer >= {lowest}"
    return parse


def port(text: str) -> int:
    """A UDP port, 1-65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1-65535)")
    return value
