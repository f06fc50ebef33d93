"""The five drum classes and the class-to-colour map that every client (CLI, OSC, Live, REAPER) shares."""

from __future__ import annotations

import json
import math
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

#: Colours of a custom model's classes that are not among the five, given in the order of the model's class list
#: (the first such class gets the first colour; after the last, they repeat). Saturated, and far from each other
#: and from DEFAULT_COLORS (tested), so a clap and a tom do not look alike in Live or REAPER.
EXTRA_COLORS: tuple[int, ...] = (
    0x2DB84C,  # green
    0xE8409F,  # magenta
    0x17A398,  # teal
    0xB8D02A,  # lime
    0x3A5BE0,  # blue
    0xF06A1F,  # orange
    0x7A4A1E,  # brown
    0x5EE0C8,  # aquamarine
    0xD28CF0,  # lilac
    0x1E6E3A,  # dark green
    0xF5D90A,  # yellow
    0x1A237E,  # indigo
)

#: The DAW clients' default for marking a file as unsure: a calibrated confidence below this (0.6 sets aside about a
#: quarter of the bundled model's out-of-fold files, right only half the time; see models/README.md, "Confidence").
#: The Max device (drumtag_names.js) and the REAPER script (drumtag/settings.lua) keep the same default, as a
#: percentage; the tests check both.
UNSURE_BELOW = 0.6


def is_unsure(confidence: float | None, below: float) -> bool:
    """Whether a result is marked unsure: the whole percent it is shown as (rounded half up, as JavaScript's
    Math.round) is below ``below``'s. As the Max device and the REAPER script decide it, so a file at 0.597 ("60%")
    is unsure under 0.6 nowhere."""
    return math.floor((confidence or 0.0) * 100 + 0.5) < math.floor(below * 100 + 0.5)


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


def default_colors(classes=CLASSES) -> dict[str, int]:
    """Each class's default colour: DEFAULT_COLORS for the five, EXTRA_COLORS in turn for the others (a custom
    model's), by their order in ``classes``, so the same model always gets the same colours. The five are matched
    ignoring case: a model trained on folders ``Kick/`` and ``Hat/`` keeps kick red and hat blue."""
    extra = iter(EXTRA_COLORS * (len(classes) // len(EXTRA_COLORS) + 1))
    return {c: DEFAULT_COLORS.get(c.casefold()) or next(extra) for c in classes}


def _looks_like_a_file(spec: str) -> bool:
    return spec.lower().endswith(".json") or os.sep in spec or "/" in spec


def parse_colors(spec: str | None, *, classes=CLASSES) -> dict[str, int]:
    """Colour map from ``'kick=#ff0000,hat=#00ffff'`` or the path of a JSON object; unnamed classes keep defaults
    (``default_colors``: a custom model's classes get distinct colours of their own)."""
    colors = default_colors(classes)
    if not spec:
        return colors
    if "=" not in spec and not os.path.isfile(spec) and _looks_like_a_file(spec):
        what = "is a folder, not a JSON file" if os.path.isdir(spec) else "no such file"
        raise UsageError(f"--colors {spec}: {what} (give a JSON object of class -> colour, or CLASS=#RRGGBB,...)")
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
