"""Shared pieces of the ``prepare_<dataset>.py`` scripts (a helper module, not a tool: hence the
leading underscore; the ``prepare_*.py`` files are the tools).

Every script turns a dataset's official annotation files into the list files our sources read
(contract D of ``docs/ARCHITECTURE.md``): ``OUT/train.txt``, ``OUT/val.txt`` (``OUT/test.txt`` where
the dataset has one) in a LIST_DATA format (``tsn``: ``path num_frames label`` for frame folders;
``kinetics_csv``: ``path label`` for video files) plus ``OUT/classes.txt`` (one class name per line,
row = label). Nothing is dropped without a trace: a malformed annotation line or a missing
video/frame folder is recorded with its file and line number in :class:`Problems`, printed, counted
in the summary and written to ``OUT/problems.txt``. ``--strict`` turns any problem into a non-zero
exit.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tqdm import tqdm

from svit.utils.progress import progress as progress_lines

VIDEO_EXTENSIONS = (".mp4", ".avi", ".webm", ".mkv", ".mov", ".m4v", ".flv")


@dataclass
class Problems:
    """Malformed lines and missing media, each with the file and line that named it."""

    items: list[tuple[str, str, int, str]] = field(default_factory=list)  # (kind, file, line, message)
    counts: dict[str, int] = field(default_factory=dict)

    print_limit: int = 20  # per kind; the rest go to problems.txt only (Kinetics misses thousands of clips)

    def add(self, kind: str, path: str, line: int, message: str) -> None:
        self.items.append((kind, str(path), int(line), message))
        n = self.counts[kind] = self.counts.get(kind, 0) + 1
        if n <= self.print_limit:
            tqdm.write(f"{kind}: {path}:{line}: {message}", file=sys.stderr)
        elif n == self.print_limit + 1:
            tqdm.write(f"{kind}: more than {self.print_limit}; the rest are listed in problems.txt", file=sys.stderr)

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    def write(self, out_dir: str) -> str | None:
        """Writes ``problems.txt`` (tab-separated kind, file, line, message); None when clean."""
        path = os.path.join(out_dir, "problems.txt")
        if not self.items:
            if os.path.exists(path):
                os.remove(path)  # a clean re-run must not leave an old report behind
            return None
        with open(path, "w", encoding="utf-8") as f:
            for kind, file, line, msg in self.items:
                f.write(f"{kind}\t{file}\t{line}\t{msg}\n")
        return path


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="folder receiving train.txt, val.txt[, test.txt], classes.txt")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when any line or video had a problem")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (logs, CI)")
    return p


def converter_parser(description: str, annotations: tuple[str, str], videos_help: str,
                     official_splits: int = 0) -> argparse.ArgumentParser:
    """:func:`base_parser` plus what a :func:`convert_splits` converter reads: the annotation folder
    (``annotations`` = ``(flag, help)``), ``--videos`` and, for a dataset with ``official_splits``
    numbered splits, ``--split``."""
    p = base_parser(description)
    p.add_argument(annotations[0], required=True, help=annotations[1])
    p.add_argument("--videos", required=True, help=videos_help)
    if official_splits:
        p.add_argument("--split", type=int, choices=tuple(range(1, official_splits + 1)), default=1,
                       help="official split number")
    return p


def progress(items: Iterable, desc: str, enabled: bool, total: int | None = None) -> Iterable:
    """``items`` with a bar on a terminal, plain progress lines in a redirected log, nothing if disabled."""
    return progress_lines(items, total=total, desc=desc, unit="videos", enabled=enabled)


def read_lines(path: str) -> list[tuple[int, str]]:
    """``(line_number, stripped_text)`` of the non-empty lines of a text file."""
    if not os.path.isfile(path):
        raise SystemExit(f"error: annotation file not found: {path}")
    with open(path, encoding="utf-8-sig") as f:
        return [(i, t.strip()) for i, t in enumerate(f.read().splitlines(), 1) if t.strip()]


class MediaIndex:
    """Where each video/frame folder lives under a root, by file stem (one walk of the tree), so
    datasets distributed flat, per class or per session all resolve the same way."""

    def __init__(self, root: str, kind: str = "video", progress: bool = True) -> None:
        if not os.path.isdir(root):
            raise SystemExit(f"error: {kind} folder not found: {root}")
        self.root = root
        self.by_stem: dict[str, str] = {}
        self.duplicates: dict[str, list[str]] = {}
        walker = os.walk(root)
        for dirpath, dirnames, filenames in progress_lines(walker, desc=f"indexing {root}", unit="folders",
                                                           enabled=progress):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root)
            entries = filenames if kind == "video" else dirnames
            for name in sorted(entries):
                stem, ext = os.path.splitext(name)
                if kind == "video" and ext.lower() not in VIDEO_EXTENSIONS:
                    continue
                key = stem if kind == "video" else name
                rel = os.path.normpath(os.path.join(rel_dir, name))
                if key in self.by_stem:
                    self.duplicates.setdefault(key, [self.by_stem[key]]).append(rel)
                    continue
                self.by_stem[key] = rel

    def find(self, stem: str) -> str | None:
        """Path relative to the root of the file (or folder) named ``stem`` (extension ignored)."""
        return self.by_stem.get(stem)


def frames_on_disk(folder: str, template: str, start_index: int) -> tuple[int | None, str, str]:
    """``(num_frames, "", "")`` for a complete frame folder, else ``(None, kind, reason)`` with kind
    ``missing`` (no folder) or ``bad_frames`` (empty, or numbering with holes: never a silently
    shortened video)."""
    if not os.path.isdir(folder):
        return None, "missing", "frame folder is missing"
    # Imported here, not at the top: any svit.data module imports the whole package (torch included),
    # which would make every prepare_*.py --help take seconds.
    from svit.data.errors import SampleError
    from svit.data.video_reader import frame_folder_length

    try:
        return frame_folder_length(folder, template, start_index, os.path.basename(folder)), "", ""
    except SampleError as exc:
        return None, "bad_frames", exc.reason.split(" (set DATA.FRAME_GAPS")[0]


def write_outputs(out_dir: str, lists: dict[str, list[str]], classes: list[str], problems: Problems,
                  strict: bool, listed: dict[str, int]) -> int:
    """Writes the lists, classes.txt and problems.txt; prints the summary; returns the exit code."""
    os.makedirs(out_dir, exist_ok=True)
    for name, lines in lists.items():
        tmp = os.path.join(out_dir, f".{name}.txt.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        os.replace(tmp, os.path.join(out_dir, f"{name}.txt"))
    with open(os.path.join(out_dir, "classes.txt"), "w", encoding="utf-8") as f:
        f.write("".join(c + "\n" for c in classes))
    report = problems.write(out_dir)
    for name, lines in lists.items():
        target = os.path.join(out_dir, name + ".txt")
        print(f"{name}: {len(lines)} of {listed.get(name, len(lines))} listed videos -> {target}")
    print(f"classes: {len(classes)} -> {os.path.join(out_dir, 'classes.txt')}")
    if report:
        kinds = sorted({k for k, *_ in problems.items})
        print("problems: " + ", ".join(f"{problems.count(k)} {k}" for k in kinds) + f" (details: {report})")
        if strict:
            return 1
    return 0


class Skip(Exception):
    """Raised by a converter's row parser for a row it cannot list: ``kind`` is the problems.txt kind
    (``malformed``, ``unknown_class``), the message names what is wrong with the row."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def convert_rows(path: str, rows: list[tuple[int, object]], videos: MediaIndex, problems: Problems, show: bool,
                 parse: Callable[[object], tuple[str, int]], find: Callable[[str], str | None] | None = None,
                 noun: str = "clip") -> tuple[list[str], int]:
    """The converters' loop over one annotation file: ``rows`` are ``(line or entry number, row)``;
    ``parse(row)`` gives ``(video name, 0-based label)`` or raises :class:`Skip`; the name is looked
    up with ``find`` (default ``videos.find``), and a name not found is a ``missing`` problem.
    Returns the ``"path label"`` lines and the number of rows read."""
    find = find or videos.find
    lines = []
    for number, row in progress(rows, os.path.basename(path), show):
        try:
            name, label = parse(row)
        except Skip as skip:
            problems.add(skip.kind, path, number, str(skip))
            continue
        rel = find(name)
        if rel is None:
            problems.add("missing", path, number, f"{noun} {name} not found under {videos.root}")
            continue
        lines.append(f"{rel} {label}")
    return lines, len(rows)


# convert(videos, problems, show_progress) -> (list lines, rows listed) for one output list
SplitConverter = Callable[["MediaIndex", Problems, bool], "tuple[list[str], int]"]


def convert_splits(args: argparse.Namespace, classes: list[str], splits: dict[str, SplitConverter]) -> int:
    """The converters' common run: indexes ``args.videos``, converts each output list (``train``/``val``)
    with its function, writes the lists, classes and problems under ``args.out``; returns the exit code."""
    videos = MediaIndex(args.videos, "video", not args.no_progress)
    problems = Problems()
    lists, listed = {}, {}
    for name, convert in splits.items():
        lists[name], listed[name] = convert(videos, problems, not args.no_progress)
    return write_outputs(args.out, lists, classes, problems, args.strict, listed)
