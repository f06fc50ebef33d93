"""A one-line progress bar for stderr with a rate and an ETA; silent when the stream is not a terminal.

    with Progress(len(files), label="classify") as bar:
        for prediction in classify_many(files, model):
            bar.update()

``update(n)`` counts ``n`` more items; ``set(done, total)`` jumps to an absolute position (it fits the
``progress(done, total)`` callbacks of ``tag_paths``). Redraws are limited to ``min_interval`` seconds; ``close()``
draws the last state and ends the line. The rate is measured over the last ``window`` seconds, so the time a
process pool takes to start does not skew the ETA for the rest of the run.
"""

from __future__ import annotations

import collections
import shutil
import sys
import time
from typing import Callable, TextIO


def format_duration(seconds: float) -> str:
    """``75`` -> ``'1:15'``, ``3725`` -> ``'1:02:05'``."""
    s = max(0, int(round(seconds)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Progress of ``total`` items (None: unknown, no bar or ETA) drawn on ``stream`` (default: sys.stderr).

    ``enabled``: None draws only when ``stream`` is a terminal; True forces drawing, False silences it.
    """

    def __init__(self, total: int | None, *, stream: TextIO | None = None, label: str = "", unit: str = "files",
                 enabled: bool | None = None, min_interval: float = 0.1, window: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.stream = sys.stderr if stream is None else stream
        self.total = total
        self.label = label
        self.unit = unit
        self.done = 0
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self._min_interval = min_interval
        self._window = window
        self._clock = clock
        self._start = clock()
        self._samples: collections.deque[tuple[float, int]] = collections.deque([(self._start, 0)])
        self._last_draw: float | None = None
        self._closed = False

    # -- counting --------------------------------------------------------------------------------------------

    def update(self, n: int = 1) -> None:
        """``n`` more items are done."""
        self.set(self.done + n)

    def set(self, done: int, total: int | None = None) -> None:
        """``done`` items of ``total`` (unchanged when None) are done."""
        if total is not None:
            self.total = total
        self.done = done
        now = self._clock()
        if done == 0:  # (re)starting: time spent before the first item (a scan, a pool start) is not counted
            self._start = now
            self._samples = collections.deque([(now, 0)])
        if len(self._samples) > 1 and now - self._samples[-2][0] < 0.05:
            self._samples[-1] = (now, done)  # coalesce rapid updates: the window holds a few hundred samples
        else:
            self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()
        if self.enabled and (self._last_draw is None or now - self._last_draw >= self._min_interval):
            self._draw(now)

    def close(self) -> None:
        """Draw the final state and end the line (once; nothing when disabled)."""
        if self._closed:
            return
        self._closed = True
        if self.enabled:
            self._draw(self._clock())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- figures ---------------------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        return self._clock() - self._start

    @property
    def rate(self) -> float | None:
        """Items per second over the last ``window`` seconds (None before any time has passed)."""
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None when unknown)."""
        rate = self.rate
        if self.total is None or not rate:
            return None
        return max(0, self.total - self.done) / rate

    def line(self, width: int = 80) -> str:
        """The text of the bar, at most ``width`` characters."""
        parts = [self.label] if self.label else []
        rate, eta = self.rate, self.eta
        if self.total:
            frac = min(1.0, self.done / self.total)
            tail = f" {self.done}/{self.total} {frac:4.0%}"
        else:
            frac, tail = None, f" {self.done} {self.unit}"
        if rate is not None:
            tail += f" {rate:.1f} {self.unit}/s"
        if self._closed:
            tail += f" in {format_duration(self.elapsed)}"
        elif eta is not None:
            tail += f" ETA {format_duration(eta)}"
        head = " ".join(parts)
        if frac is not None:
            room = width - len(head) - len(tail) - 3
            if room >= 10:
                filled = int(frac * room)
                head = f"{head} [{'#' * filled}{'.' * (room - filled)}]".lstrip()
        return (head + tail)[:width]

    def _draw(self, now: float) -> None:
        self._last_draw = now
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        self.stream.write("\r" + self.line(width) + "\x1b[K")
        self.stream.flush()
