"""One module per ``drumtag`` command (see ``oscserver.cli``)."""
