"""argparse types for counts, ports, seeds and durations: a bad value is refused with the reason (exit 2) before
any work."""

from __future__ import annotations

import argparse
import functools
import os

#: the estimators' random_state takes 0 to 2**32 - 1
SEED_MAX = 2 ** 32 - 1


class EnvValue(str):
    """An option's default read from an environment variable: a type that refuses it can name the variable (the
    user never typed the value, so ``argument --port: 'abc'`` alone would not tell them where it came from)."""

    variable: str


def env_default(variable: str, fallback):
    """The value of ``variable`` as an :class:`EnvValue` default, or ``fallback`` when it is unset or empty."""
    value = os.environ.get(variable)
    if not value:
        return fallback
    marked = EnvValue(value)
    marked.variable = variable
    return marked


def source(value, option: str) -> str:
    """How to name where ``value`` came from in a message: ``'$DRUMTAG_PORT'`` for an EnvValue, else ``option``."""
    variable = getattr(value, "variable", None)
    return f"${variable}" if variable else option


def _names_env(parse):
    """Wrap an argparse type so refusing a default from the environment says which variable holds it."""

    @functools.wraps(parse)
    def wrapped(text):
        try:
            return parse(text)
        except argparse.ArgumentTypeError as exc:
            variable = getattr(text, "variable", None)
            if variable is None:
                raise
            raise argparse.ArgumentTypeError(f"{exc} (the value of the environment variable {variable}; "
                                             "fix or unset it)") from None

    return wrapped


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


@_names_env
def host(text: str) -> str:
    """A host name or address, not empty (an empty one would make the server listen on every interface, or the
    client fail later with a less clear message)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the host is empty; give a name or address, for example 127.0.0.1")
    return text


@_names_env
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
