"""The ``drumtag`` command line: finds the command modules in ``oscserver.commands`` and runs one.

Each module in ``oscserver/commands/`` defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``
and imports nothing heavy at module level, so ``drumtag --help`` stays fast. Errors are translated here, once:
a ``DrumtagError`` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from . import __version__, commands
from .errors import DrumtagError

log = logging.getLogger(__name__)


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drumtag",
        description="Classify drum one-shots as kick, snare, hat, percussion or other.")
    parser.add_argument("--version", action="version", version=f"drumtag {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = sorted(_command_modules(), key=lambda m: getattr(m, "ORDER", 50))
    for module in modules:
        p = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="drumtag: %(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return int(args._run(args) or 0)
    except DrumtagError as exc:
        print(f"drumtag {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `drumtag classify ... | head`: the reader left; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"drumtag {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
