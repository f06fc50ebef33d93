"""The five drum classes and the class-to-colour map that every client (CLI, OSC, Live, REAPER) shares."""

from __future__ import annotations

import json
import os
import re

from .errors import UsageError

CLASSES: tuple[str, ...] = ("kick", "snare", "hat", "percussion", "other")

#: 0xRRGGBB per class. Chosen to stay distinct after Live snaps them to its clip palette.
DEFAULT_COLORS: dict[str, int] = {
    "kick": 0xE0312B,        # red
    "snare": 0xF2A51A,       # amber
    "hat": 0x22B8E6,         # sky blue
    "percussion": 0x8B5CF0,  # violet
    "other": 0x8A8A8A,       # grey
}

#: The DAW clients' default for marking a file as unsure: a calibrated confidence below this (0.6 sets aside about a
#: quarter of the bundled model's out-of-fold files, right only half the time; see models/README.md, "Confidence").
#: The Max device (drumtag_names.js) and the REAPER script (drumtag/settings.lua) keep the same default, as a
#: percentage; the tests check both.
UNSURE_BELOW = 0.6


def unsure_color(rgb: int) -> int:
    """The colour of an unsure file: its class colour halfway to mid grey, so the class still shows but muted.

    Each channel becomes ``(c + 128) >> 1``; drumtag_names.js and drumtag/edits.lua compute the same (tested).
    """
    return sum(((((rgb >> shift) & 0xFF) + 128) >> 1) << shift for shift in (16, 8, 0))


_HEX = re.compile(r"^(?:#|0x)?([0-9a-fA-F]{6})$")


def parse_color(text: str, *, name: str = "colour") -> int:
    """``'#ff8800'``, ``'0xff8800'``, ``'ff8800'`` or a decimal int -> 0xRRGGBB."""
    text = str(text).strip()
    match = _HEX.match(text)
    if match:
        return int(match.group(1), 16)
    if text.isdigit() and int(text) <= 0xFFFFFF:
        return int(text)
    raise UsageError(f"{name}: {text!r} is not a colour; use #RRGGBB")


def parse_colors(spec: str | None, *, classes=CLASSES) -> dict[str, int]:
    """Colour map from ``'kick=#ff0000,hat=#00ffff'`` or the path of a JSON object; unnamed classes keep defaults.

    Classes the map does not know (a custom model's) get the colour of ``other``.
    """
    colors = {c: DEFAULT_COLORS.get(c, DEFAULT_COLORS["other"]) for c in classes}
    if not spec:
        return colors
    if os.path.isfile(spec):
        try:
            with open(spec, encoding="utf-8") as f:
                items = json.load(f).items()
        except (OSError, ValueError, AttributeError) as exc:
            raise UsageError(f"--colors {spec}: not a JSON object of class -> colour ({exc})") from None
    else:
        items = []
        for part in spec.split(","):
            if "=" not in part:
                raise UsageError(f"--colors: {part!r} is not CLASS=#RRGGBB")
            items.append(tuple(s.strip() for s in part.split("=", 1)))
    for cls, value in items:
        if cls not in colors:
            raise UsageError(f"--colors: unknown class {cls!r}; the model's classes are {', '.join(classes)}")
        colors[cls] = parse_color(value, name=f"--colors {cls}")
    return colors
