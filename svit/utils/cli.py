"""One flag convention for every command in ``tools/`` (see docs/TOOLS.md).

* ``--cfg FILE``: the yaml config.
* Config overrides: ``KEY VALUE`` pairs, positional or after ``--opts`` (both may be mixed; the
  ``--opts`` ones come last and win).
* ``--json [PATH]``: machine-readable output. Without PATH the JSON (one line) replaces the text on
  stdout; with PATH the text is printed as usual and the JSON is written (atomically) to PATH.
* Every option has help text.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Sequence

JSON_STDOUT = "-"
CONFIG_KEY = re.compile(r"^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$")


def add_cfg_args(parser: argparse.ArgumentParser, required: bool = True, positional: bool = True) -> None:
    """``--cfg FILE``, ``--opts KEY VALUE ...`` and (with ``positional``) trailing ``KEY VALUE`` pairs."""
    parser.add_argument("--cfg", "--cfg_file", dest="cfg", required=required, default=None, metavar="FILE",
                        help="yaml config file")
    parser.add_argument("--opts", nargs=argparse.REMAINDER, default=[], metavar="KEY VALUE",
                        help="config overrides (after the positional ones)")
    if positional:
        parser.add_argument("overrides", nargs=argparse.REMAINDER, metavar="KEY VALUE",
                            help="config overrides, e.g. DATA.NUM_FRAMES 8")


def add_json_arg(parser: argparse.ArgumentParser, what: str = "the results") -> None:
    """``--json [PATH]``: JSON on stdout (no PATH) or written to PATH (see the module doc)."""
    parser.add_argument("--json", nargs="?", const=JSON_STDOUT, default=None, metavar="PATH",
                        help=f"{what} as JSON: on stdout instead of text, or written to PATH")


def overrides_of(args: argparse.Namespace) -> list[str]:
    """Positional overrides followed by the ``--opts`` ones (``--opts`` inside the positional
    remainder, as argparse leaves it after a positional pair, is removed)."""
    opts = list(getattr(args, "overrides", None) or [])
    if "--opts" in opts:
        i = opts.index("--opts")
        opts = opts[:i] + opts[i + 1 :]
    return opts + list(getattr(args, "opts", None) or [])


def json_to_stdout(args: argparse.Namespace) -> bool:
    """True when ``--json`` was given without a PATH (text output is then suppressed)."""
    return getattr(args, "json", None) == JSON_STDOUT


def write_json(obj: Any, dest: str | None) -> None:
    """Writes ``obj`` as JSON to stdout (``dest`` "-") or atomically to the file ``dest``."""
    if dest is None:
        return
    if dest == JSON_STDOUT:  # one line: easy to pipe and to pick out of other output
        print(json.dumps(obj, default=str))
        return
    text = json.dumps(obj, indent=2, default=str)
    from svit.utils.atomic import atomic_write_text

    atomic_write_text(dest, text + "\n")
    print(f"wrote {dest}", file=sys.stderr)


def settle_json_arg(args: argparse.Namespace, opts: list[str]) -> list[str]:
    """Untangles ``--json [PATH]`` from the overrides; returns the overrides.

    ``--json DATA.NUM_FRAMES 8``: argparse took the config key for the PATH, so it goes back to the
    overrides. ``... DATA.NUM_FRAMES 8 --json [out.json]``: the overrides' remainder swallowed the flag,
    so it is taken back (a PATH there must end in .json).
    """
    if not hasattr(args, "json"):
        return opts
    if args.json not in (None, JSON_STDOUT) and CONFIG_KEY.match(args.json) and not os.path.exists(args.json):
        opts = [args.json] + opts
        args.json = JSON_STDOUT
    if "--json" in opts:
        i = opts.index("--json")
        nxt = opts[i + 1] if i + 1 < len(opts) else None
        path = nxt if nxt is not None and nxt.endswith(".json") else None
        args.json = path or JSON_STDOUT
        opts = opts[:i] + opts[i + (2 if path else 1):]
    return opts


def parse_known(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``parser.parse_args`` with overrides merged into ``args.opts`` and ``--json`` untangled from them."""
    args = parser.parse_args(argv)
    args.opts = settle_json_arg(args, overrides_of(args))
    return args
