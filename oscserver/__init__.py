"""drumtag: classify drum one-shots as kick, snare, hat, percussion or other."""

__version__ = "0.1.0"
