"""Google Drive and Hugging Face hub downloads through their maintained clients (optional extras).

Drive's large files need its virus-scan confirmation step and the hub has its own URLs, auth and
retries: ``gdown`` and ``huggingface_hub`` handle both, so nothing here speaks their HTTP. Both are
imported only when such a file is fetched; without them the error says how to install them
(``pip install 'svit[weights]'``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from svit.weights.errors import WeightsError

INSTALL_HINT = "pip install 'svit[weights]'"


def _missing(package: str, what: str) -> WeightsError:
    return WeightsError(f"{what} needs the '{package}' package, which is not installed: {INSTALL_HINT} "
                        f"(or pip install {package})")


def fetch_gdrive(file_id: str, part: Path, name: str) -> None:
    """Google Drive file ``file_id`` -> ``part`` with gdown (resuming a partial ``part``)."""
    try:
        import gdown
    except ImportError:
        raise _missing("gdown", f"weights '{name}' (Google Drive)") from None
    try:
        out = gdown.download(id=file_id, output=str(part), quiet=not sys.stderr.isatty(), resume=True)
    except Exception as e:  # noqa: BLE001 - gdown's own errors (quota, permission) carry the reason
        raise WeightsError(f"Google Drive file {file_id} (weights '{name}'): {type(e).__name__}: {e}") from None
    if not out or not part.is_file():
        raise WeightsError(f"Google Drive file {file_id} (weights '{name}'): gdown returned no file "
                           "(download quota exceeded, or the file is no longer shared)")


def fetch_hf(repo_file: str, part: Path, name: str) -> None:
    """Hugging Face hub ``<owner>/<repo>/<file>`` -> ``part`` with huggingface_hub.hf_hub_download."""
    repo_id, _, filename = repo_file.rpartition("/")
    try:
        import huggingface_hub
    except ImportError:
        raise _missing("huggingface_hub", f"weights '{name}' (Hugging Face hub)") from None
    staging = part.parent / ".hf"
    try:
        local = huggingface_hub.hf_hub_download(repo_id=repo_id, filename=filename, local_dir=str(staging))
    except Exception as e:  # noqa: BLE001 - hub errors (not found, gated, offline) carry the reason
        raise WeightsError(
            f"Hugging Face hub {repo_id}/{filename} (weights '{name}'): {type(e).__name__}: {e}"
        ) from None
    os.replace(local, part)
