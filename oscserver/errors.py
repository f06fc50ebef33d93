"""The package's errors: one root class, subclasses that say what went wrong and what to do."""

from __future__ import annotations

import os

#: The reasons several modules give for the same thing, worded once (audio loading, the server, tag's scan, hashing).
NOT_REGULAR_FILE = "not a regular file"   # a FIFO or device named like audio: never opened for reading
PERMISSION_DENIED = "permission denied"
NO_SUCH_FILE = "no such file"
BROKEN_LINK = "broken symbolic link"


class DrumtagError(Exception):
    """Root of every error drumtag raises on purpose; its message is meant for the user."""


class AudioError(DrumtagError):
    """A file or folder could not be read as audio. ``path`` names it, ``reason`` says why."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(DrumtagError):
    """A model file is missing, unreadable, or made with an incompatible feature or library version."""


class UsageError(DrumtagError):
    """An argument, option or setting is invalid; the message names it."""
