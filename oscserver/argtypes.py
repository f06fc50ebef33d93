"""argparse types for counts, ports, seeds and durations: a bad value is refused with the reason (exit 2) before
any work."""

from __future__ import annotations

import argparse

#: the estimators' random_state takes 0 to 2**32 - 1
SEED_MAX = 2 ** 32 - 1


def _whole(text: str, what: str = "whole number") -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a {what}") from None


def at_least(lowest: int):
    """An int type that refuses values under ``lowest``: ``type=at_least(1)``."""

    def parse(text: str) -> int:
        value = _whole(text)
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be at least {lowest}, not {value}")
        return value

    parse.__name__ = f"integer >= {lowest}"
    return parse


def port(text: str) -> int:
    """A UDP port, 1-65535."""
    value = _whole(text, "port number")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1-65535)")
    return value


def seed(text: str) -> int:
    """A random seed the estimators accept as random_state (0 to SEED_MAX)."""
    value = _whole(text)
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be 0 to {SEED_MAX}, not {value}")
    return value


def seconds(highest: float):
    """A float type for a duration above 0 and at most ``highest`` seconds (nan refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not 0 < value <= highest:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be above 0 and at most {highest:g} seconds, not {text}")
        return value

    parse.__name__ = "seconds"
    return parse
