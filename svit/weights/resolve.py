"""A weights key's value -> a local file: ``resolve("ViT-B/16")``, ``resolve("https://...")``,
``resolve("/data/model.pyth")``.

Order: a path that exists wins (a file called like a catalogue name is still that file); then a
URL (``https://``, ``http://``, ``hf://<owner>/<repo>/<file>``, ``gdrive://<id>``); then a catalogue
name; then anything path-like is returned as given (the loader reports the missing file). Any other
word gets the closest catalogue names. Downloads land in svit.weights.cache.weights_dir(), are
verified (the catalogue's SHA-256, else the one the first download recorded) and renamed into place
atomically, so a file under its final name is always complete and checked.

One download per file and machine: the downloading process holds ``<file>.lock`` (filelock); other
processes asking for the same file (the other DDP ranks of a node, other jobs) wait on it and then
find the file in place. ``SVIT_OFFLINE=1``, or a network that cannot be reached, raises one line
naming the URL to fetch and the path to put it at.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from svit.weights.cache import digest_matches, record_sha256, recorded_sha256, sha256_file, weights_dir
from svit.weights.catalog import Entry, closest_names, entry_for_url, lookup
from svit.weights.clients import fetch_gdrive, fetch_hf
from svit.weights.download import fetch_http, mirrored
from svit.weights.errors import WeightsError

logger = logging.getLogger("svit.weights")

OFFLINE_ENV = "SVIT_OFFLINE"
URL_SCHEMES = ("https://", "http://", "hf://", "gdrive://")
PATH_SUFFIXES = (".pt", ".pth", ".pyth", ".tar", ".bin", ".pkl", ".ckpt", ".safetensors", ".npz")


def offline() -> bool:
    """``SVIT_OFFLINE`` is set to 1/true/yes."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def is_url(spec: str) -> bool:
    return spec.startswith(URL_SCHEMES)


def _looks_like_path(spec: str) -> bool:
    return spec.startswith(("/", "./", "../", "~")) or spec.lower().endswith(PATH_SUFFIXES) or os.sep + os.sep in spec


def entry_for(spec: str) -> Entry | None:
    """The catalogue entry a URL or name stands for; a URL outside the catalogue gets an ad-hoc
    entry (file name from the URL, checksum recorded by its first download)."""
    if not is_url(spec):
        return lookup(spec)
    known = entry_for_url(spec)
    if known is not None:
        return known
    filename = url_filename(spec)
    return Entry(name=filename, url=spec, filename=filename, adapter="", key="", configs=(), source=spec)


def url_filename(url: str) -> str:
    """Cache file name of a URL outside the catalogue: its base name behind 8 hex digits of the URL's
    SHA-256, so two URLs ending in the same name (``.../model_best.pt``) never share a cached file."""
    if url.startswith("gdrive://"):
        base = "gdrive_" + url[len("gdrive://"):]
    else:
        base = os.path.basename(urlsplit(url).path) or "download"
    return f"{hashlib.sha256(url.encode()).hexdigest()[:8]}-{base}"


def resolve(spec: str | os.PathLike, progress: str = "auto") -> Path:
    """The local file for a weights key's value (a path, a URL or a catalogue name); downloads
    what is not cached. WeightsError for an unknown name (with the closest names), offline mode,
    a failed download or a checksum mismatch."""
    spec = os.fspath(spec).strip()
    if not spec:
        raise WeightsError("empty weights value: give a path, a URL or a catalogue name (tools/download.py --list)")
    if os.path.exists(spec):
        return Path(spec)
    if os.path.exists(os.path.expanduser(spec)):
        return Path(os.path.expanduser(spec))
    entry = entry_for(spec)
    if entry is not None:
        return fetch(entry, progress)
    if _looks_like_path(spec):
        return Path(spec)  # a missing file: the checkpoint loader names it
    near = closest_names(spec)
    hint = f"; closest names: {', '.join(near)}" if near else ""
    raise WeightsError(
        f"'{spec}' is not a file, a URL or a catalogue name{hint} "
        "(python tools/download.py --list shows the catalogue)."
    )


def cached_path(entry: Entry) -> Path:
    return weights_dir() / entry.filename


def _fetch_line(entry: Entry, dest: Path, why: str) -> str:
    return f"{why}: weights '{entry.name}' are not in the cache; fetch {entry.human_url()} and put it at {dest}"


def fetch(entry: Entry, progress: str = "auto") -> Path:
    """The cached file of ``entry``, downloaded (once per machine, under a file lock) if missing."""
    dest = cached_path(entry)
    if dest.is_file():
        return dest
    if offline():
        raise WeightsError(_fetch_line(entry, dest, f"{OFFLINE_ENV}=1"))
    if entry.manual:
        extra = f" ({entry.note})" if entry.note else ""
        raise WeightsError(_fetch_line(entry, dest, f"no client can download this share page{extra}"))
    from filelock import FileLock, Timeout

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WeightsError(f"cannot create the weights cache {dest.parent} ({e.strerror}): set SVIT_WEIGHTS_DIR "
                           "to a writable folder") from None
    lock = FileLock(str(dest) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.info("another process is downloading %s: waiting for it", dest)
        lock.acquire()
    try:
        if dest.is_file():  # the process we waited for finished it
            return dest
        _download(entry, dest, progress)
    finally:
        lock.release()
    return dest


def _download(entry: Entry, dest: Path, progress: str) -> None:
    """Fetches ``entry`` to ``<dest>.part``, verifies it and renames it to ``dest``."""
    part = dest.with_name(dest.name + ".part")
    url = entry.url
    try:
        if url.startswith(("gdrive://", "hf://")):
            try:
                if url.startswith("gdrive://"):
                    fetch_gdrive(url[len("gdrive://"):], part, entry.name)
                else:
                    fetch_hf(url[len("hf://"):], part, entry.name)
            except WeightsError as e:  # the client failed (quota, offline, not installed): the manual way too
                raise WeightsError(f"{e}; or fetch {entry.human_url()} by hand and put it at {dest}") from None
        else:
            fetch_http(mirrored(url), part, entry.name, progress)
    except HTTPError:  # fetch_http turns these into WeightsError; kept for clarity
        raise
    except (URLError, socket.timeout, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise WeightsError(_fetch_line(entry, dest, f"cannot reach {urlsplit(mirrored(url)).netloc or url} "
                                                    f"({reason})")) from None
    except OSError as e:  # the disk, not the network (full, read-only): what arrived stays for a resume
        raise WeightsError(f"writing {part} for weights '{entry.name}' failed ({e.strerror or e}); the bytes "
                           "received are kept and the next run resumes") from None
    actual = sha256_file(part)
    expected = entry.sha256 or recorded_sha256(entry.filename)
    if expected and not digest_matches(actual, expected):
        part.unlink()
        raise WeightsError(
            f"checksum mismatch for weights '{entry.name}' from {url}: expected SHA-256 {expected}, got {actual}; "
            f"the download was removed (run again; if it persists, the file published there changed)."
        )
    if len(entry.sha256) < 64 and not recorded_sha256(entry.filename):
        record_sha256(entry.filename, actual, url, part.stat().st_size)
    os.replace(part, dest)
    logger.info("weights '%s' -> %s (sha256 %s)", entry.name, dest, actual)
