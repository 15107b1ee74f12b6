"""Where downloaded weights live, and the checksums first downloads recorded.

The folder is ``$SVIT_WEIGHTS_DIR``, else ``$SVIT_CACHE/weights`` (default ``~/.cache/svit/weights``,
the cache root the synthetic data already uses). ``checksums.json`` in it maps a file name to the
SHA-256 its first complete download had, for entries whose publisher gives no checksum: later
downloads (and ``tools/download.py --verify``) are checked against it, so a file silently replaced
upstream or corrupted on disk is noticed.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from svit.utils.atomic import atomic_write_text

CHECKSUMS_FILE = "checksums.json"
_CHUNK = 1 << 20


def weights_dir() -> Path:
    """The download folder (created on first use by the downloader, not here)."""
    explicit = os.environ.get("SVIT_WEIGHTS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("SVIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "svit")
    return Path(base) / "weights"


def sha256_file(path: str | os.PathLike, hasher=None) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (``hasher`` continues an existing hash)."""
    h = hasher or hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def digest_matches(actual: str, expected: str) -> bool:
    """Full digest equality, or a publisher's leading hex digits (torch.hub names carry 8)."""
    return bool(expected) and actual.lower().startswith(expected.lower())


def read_checksums(folder: Path | None = None) -> dict[str, dict]:
    path = (folder or weights_dir()) / CHECKSUMS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def recorded_sha256(filename: str, folder: Path | None = None) -> str:
    """The SHA-256 the first download of ``filename`` recorded, or ''."""
    rec = read_checksums(folder).get(filename)
    return str(rec.get("sha256", "")) if isinstance(rec, dict) else ""


def record_sha256(filename: str, digest: str, url: str, size: int, folder: Path | None = None) -> None:
    """Stores ``digest`` for ``filename`` (atomic rewrite under the checksum file's own lock)."""
    from filelock import FileLock

    folder = folder or weights_dir()
    with FileLock(str(folder / (CHECKSUMS_FILE + ".lock"))):  # two files finishing at once
        data = read_checksums(folder)
        data[filename] = {"sha256": digest, "url": url, "size": size}
        atomic_write_text(folder / CHECKSUMS_FILE, json.dumps(data, indent=1, sort_keys=True) + "\n")
