"""One flag convention for every command in ``tools/`` (see docs/TOOLS.md).

* ``--cfg FILE``: the yaml config.
* Config overrides: ``KEY VALUE`` pairs, positional or after ``--opts`` (both may be mixed; the
  ``--opts`` ones come last and win). Positional pairs may stand anywhere, before, between or after the
  options: they are taken out of the command line before argparse sees it (``split_overrides``), so
  they never swallow the options after them nor get swallowed by a list-valued option before them.
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

from svit.config.defaults import _C
from svit.utils.atomic import atomic_write_text

JSON_STDOUT = "-"
CONFIG_KEY = re.compile(r"^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$")
TOP_LEVEL_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")


OVERRIDES_HINT = ("config overrides are KEY VALUE pairs with an upper-case KEY (e.g. DATA.NUM_FRAMES 8 or "
                  "OUTPUT_DIR runs/x), anywhere on the command line or after --opts")


def add_cfg_args(parser: argparse.ArgumentParser, required: bool = True, positional: bool = True) -> None:
    """``--cfg FILE``, ``--opts KEY VALUE ...`` and (with ``positional``) ``KEY VALUE`` pairs anywhere.

    Both override arguments are declared for ``--help``; ``parse_known`` fills them (see the module doc)."""
    parser.add_argument("--cfg", "--cfg_file", dest="cfg", required=required, default=None, metavar="FILE",
                        help="yaml config file")
    parser.add_argument("--opts", nargs="*", default=[], metavar="KEY VALUE",
                        help="config overrides (after the positional ones)")
    if positional:
        parser.add_argument("overrides", nargs="*", metavar="KEY VALUE",
                            help="config overrides, e.g. DATA.NUM_FRAMES 8 (anywhere on the line)")


def _top_level_keys() -> frozenset[str]:
    """Upper-case keys without a dot that are config keys (``OUTPUT_DIR``, ``NUM_GPUS``, ...) of the
    shared defaults (which need fvcore, not torch)."""
    return frozenset(k for k, v in _C.items() if not isinstance(v, dict))


def _is_key(token: str) -> bool:
    if os.path.exists(token):  # a file or folder named like a key (e.g. CLIP.MP4) is an argument
        return False
    if CONFIG_KEY.match(token):
        return True
    return bool(TOP_LEVEL_KEY.match(token)) and token in _top_level_keys()


def _single_value_options(parser: argparse.ArgumentParser) -> set[str]:
    """Option strings that take exactly one value (their next token is that value, whatever it is),
    of the parser and its sub-commands."""
    found: set[str] = set()
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
            elif action.option_strings and action.nargs is None:
                found.update(action.option_strings)
    return found


def split_overrides(parser: argparse.ArgumentParser, argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the arguments for argparse, the config overrides) of ``argv``.

    A token that is a config key (dotted upper case such as ``DATA.NUM_FRAMES``, or a top-level key
    such as ``OUTPUT_DIR``) and not an option's value starts a pair with the token after it. After
    ``--opts`` every token is taken pairwise up to the next ``--option``. Overrides keep their order,
    the ``--opts`` ones last (they win). A key without a value is an error naming the key."""
    single = _single_value_options(parser)
    rest: list[str] = []
    positional: list[str] = []
    after_opts: list[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":  # everything after "--" is for argparse as it stands
            rest.extend(tokens[i:])
            break
        if tok == "--opts":
            i += 1
            while i < len(tokens) and not tokens[i].startswith("--"):
                if i + 1 >= len(tokens):
                    parser.error(f"config override {tokens[i]} has no value ({OVERRIDES_HINT})")
                after_opts += tokens[i : i + 2]
                i += 2
            continue
        if tok in single and i + 1 < len(tokens):  # an option and its value, e.g. --name MODEL.X
            rest += tokens[i : i + 2]
            i += 2
            continue
        if _is_key(tok):
            if i + 1 >= len(tokens):
                parser.error(f"config override {tok} has no value ({OVERRIDES_HINT})")
            positional += tokens[i : i + 2]
            i += 2
            continue
        rest.append(tok)
        i += 1
    return rest, positional + after_opts


def parse_with_overrides(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``parser.parse_args`` of the non-override arguments; the overrides land in ``args.opts``.

    A stray argument (neither an option nor a KEY VALUE pair) is an argparse error that says where
    overrides go."""
    rest, overrides = split_overrides(parser, sys.argv[1:] if argv is None else argv)
    plain_error = parser.error

    def error(message: str):
        if message.startswith("unrecognized arguments") or "overrides" in message:
            message = f"{message}\n  ({OVERRIDES_HINT})"
        plain_error(message)

    parser.error = error  # type: ignore[method-assign]
    try:
        args = parser.parse_args(rest)
    finally:
        parser.error = plain_error  # type: ignore[method-assign]
    stray = list(getattr(args, "overrides", None) or [])
    if stray:
        parser.error(f"unexpected argument(s) {' '.join(stray)}: {OVERRIDES_HINT}")
    args.overrides = []
    args.opts = overrides
    return args


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
    """``parse_with_overrides`` with ``--json`` untangled from the overrides (see ``settle_json_arg``)."""
    args = parse_with_overrides(parser, argv)
    args.opts = settle_json_arg(args, args.opts)
    return args
