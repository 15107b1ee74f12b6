"""What a catalogue entry says about one released weights file, and how names are looked up.

Each fact carries where it was read (``source``: repository and file) and whether it was confirmed
there (``confirmed``): a URL copied from the publisher's README is confirmed, a checksum the
publisher never gave is not (the first download records the one it saw, svit.weights.cache).
The table itself lives in svit/weights/entries.py.
"""
from __future__ import annotations

import difflib
import fnmatch
import glob
import os
from dataclasses import dataclass, field

# Config keys that hold a weights file; every one takes a catalogue name, a URL or a path.
WEIGHT_KEYS = (
    "TRAIN.CHECKPOINT_FILE_PATH",
    "TEST.CHECKPOINT_FILE_PATH",
    "TRAIN.RESUME_FROM",
    "CNN.IMAGENET_WEIGHTS",
    "H2CN.IMAGENET_WEIGHTS",
    "SIDE4VIDEO.CLIP_WEIGHTS",
)


@dataclass(frozen=True)
class Entry:
    """One released file.

    ``url``: ``https://...``, ``gdrive://<file id>`` (Google Drive, through gdown),
    ``hf://<owner>/<repo>/<file>`` (Hugging Face hub, through huggingface_hub) or ``page:<url>`` (a
    share page no client can fetch: Baidu, OneDrive; the user downloads it by hand). ``sha256``: the
    full hex digest, or the leading hex digits a publisher puts in the file name (torch.hub style);
    empty when the publisher gives none. ``size_mb``: as the publisher states it (0 = not stated).
    ``adapter``: the TRAIN/TEST.CHECKPOINT_TYPE that loads it. ``key``: the config key it goes in.
    ``configs``: config paths (globs) under configs/ that can use it. ``file_format``: ``torchscript``
    for OpenAI's CLIP archives (their architecture, QuickGELU, is known without reading the file).
    """

    name: str
    url: str
    filename: str
    adapter: str
    key: str
    configs: tuple[str, ...]
    source: str
    confirmed: dict = field(default_factory=dict)
    sha256: str = ""
    size_mb: float = 0.0
    aliases: tuple[str, ...] = ()
    note: str = ""
    file_format: str = ""

    @property
    def manual(self) -> bool:
        """True when no client can download the file (a share page)."""
        return self.url.startswith("page:")

    def human_url(self) -> str:
        """The address a person opens in a browser to fetch the file by hand."""
        if self.url.startswith("gdrive://"):
            return f"https://drive.google.com/file/d/{self.url[len('gdrive://'):]}/view"
        if self.url.startswith("hf://"):
            repo, _, name = self.url[len("hf://"):].rpartition("/")
            return f"https://huggingface.co/{repo}/resolve/main/{name}"
        if self.manual:
            return self.url[len("page:"):]
        return self.url

    def matches_config(self, rel: str) -> bool:
        """Whether ``rel`` (a path under configs/) is one of this entry's configs."""
        rel = rel.replace(os.sep, "/").removeprefix("configs/")
        return any(fnmatch.fnmatchcase(rel, pat) for pat in self.configs)

    def config_files(self, configs_dir: str) -> list[str]:
        """The existing config files this entry names (globs expanded), relative to ``configs_dir``."""
        out: set[str] = set()
        for pat in self.configs:
            for path in glob.glob(os.path.join(configs_dir, pat)):
                out.add(os.path.relpath(path, configs_dir).replace(os.sep, "/"))
        return sorted(out)


def all_entries() -> list[Entry]:
    from svit.weights.entries import ENTRIES  # cycle: entries.py imports Entry from this module

    return list(ENTRIES)


def _index() -> dict[str, Entry]:
    idx: dict[str, Entry] = {}
    for e in all_entries():
        for n in (e.name, *e.aliases):
            idx[n] = idx[n.lower()] = e
    return idx


def lookup(name: str) -> Entry | None:
    """The entry called ``name`` (or one of its aliases; case-insensitive), else None."""
    idx = _index()
    return idx.get(name) or idx.get(name.lower())


def closest_names(name: str, n: int = 3) -> list[str]:
    """Catalogue names nearest to a mistyped ``name`` (difflib ratio)."""
    names = sorted({x for e in all_entries() for x in (e.name, *e.aliases)})
    by_lower = {x.lower(): x for x in names}
    return [by_lower[m] for m in difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.5)]


def entries_for_config(rel: str) -> list[Entry]:
    """Entries that list the config ``rel`` (a path under configs/)."""
    return [e for e in all_entries() if e.matches_config(rel)]


def entry_for_url(url: str) -> Entry | None:
    """The entry whose URL is ``url`` (so a URL given directly is still verified by its checksum)."""
    return next((e for e in all_entries() if e.url == url), None)


def names_torchscript_archive(spec: str) -> bool:
    """True when ``spec`` is not an existing path but a catalogue name or URL of an OpenAI TorchScript
    archive (lets Side4Video's ACTIVATION auto resolve without downloading the file first)."""
    if not spec or os.path.exists(spec):
        return False
    e = lookup(spec) or entry_for_url(spec)
    return e is not None and e.file_format == "torchscript"
