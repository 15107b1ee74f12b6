"""What a weights file is, in words, for one-line errors.

Torch's own failure texts are long, name internals (``EOFError``, ``KeyError: 101``) and, for a
pickle holding code, suggest re-running ``torch.load`` with ``weights_only`` off -- the unsafe
workaround svit never takes. So when a file cannot be read, the error is built here instead: the
path, what the file looks like from its first bytes (empty, text, a truncated zip, a pickle that
needs a Python global, ...) and what svit expected. ``describe_contents`` says what a readable
checkpoint holds (its stored ``cfg`` names the model), for errors about a file that does not fit.
``CheckpointError`` is defined here, below both svit.checkpoint and svit.weights (whose WeightsError
is one), so neither imports the other to raise it.
"""
from __future__ import annotations

import os
import re
import zipfile
from typing import Any, Mapping

import torch

EXPECTED = "expected a PyTorch weights file (torch.save zip or legacy pickle) or a TorchScript archive"
_GLOBAL_RE = re.compile(r"(?:Unsupported global: GLOBAL|global) ([A-Za-z_][\w.]*)")


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable or does not fit the model; the message names it."""


def sniff(path: str) -> str:
    """A short description of the file's format from its size and first bytes."""
    size = os.path.getsize(path)
    if size == 0:
        return "an empty file (0 bytes)"
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(b"PK"):
        if not zipfile.is_zipfile(path):
            return f"a truncated or damaged zip archive ({size} bytes; an interrupted download?)"
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            return f"a damaged zip archive ({size} bytes; {type(e).__name__})"
        if bad is not None:
            return f"a zip archive with a corrupt member {bad!r} ({size} bytes)"
        if not any(n.endswith("data.pkl") for n in names):
            return f"a zip archive that is not a PyTorch file (members {names[:3]})"
        return f"a PyTorch zip file ({size} bytes)"
    if head[:1] == b"\x80":
        return f"a Python pickle not written by torch.save ({size} bytes)"
    if head[8:10] == b'{"':  # 8-byte header length, then a JSON header
        return f"a safetensors file ({size} bytes; convert it with torch.save(safetensors.torch.load_file(p), out))"
    if head.startswith((b"\x89HDF", b"\x93NUMPY")):
        return f"an HDF5/numpy file ({size} bytes)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"an unrecognised binary file ({size} bytes)"
    first = text.strip().splitlines()[0][:40] if text.strip() else ""
    return f"a text file ({size} bytes, starts {first!r})"


def unreadable_message(path: str, error: BaseException, kind: str = "checkpoint") -> str:
    """One line for a file torch could not load: path, what it is, what was expected."""
    text = str(error)
    found = _GLOBAL_RE.search(text) if "weights_only" in text or "global" in text.lower() else None
    if found:
        what = (f"a pickle that needs the Python global '{found.group(1)}' to load (a pickled object, "
                "not plain tensors); svit never runs code from a weights file")
        expected = "expected tensors in plain dicts/lists (e.g. torch.save(model.state_dict(), path))"
        return f"Cannot read {kind} {path}: {what}; {expected}."
    found_as = sniff(path)
    if found_as.startswith("a PyTorch zip file"):  # a torch file torch still refused: say why, in short
        found_as += f" torch cannot read ({_short_reason(text)})"
    return f"Cannot read {kind} {path}: {found_as}; {EXPECTED}."


def _short_reason(text: str) -> str:
    """The informative clause of a torch load error, without its advice to turn ``weights_only`` off."""
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "weights_only" not in ln]
    return (lines[0] if lines else "unknown reason")[:120]


def _cfg_model(cfg_yaml: Any) -> str | None:
    """``MODEL_NAME (MODEL.ARCH arch, N classes)`` from a checkpoint's stored cfg yaml."""
    if not isinstance(cfg_yaml, str) or not cfg_yaml.strip():
        return None
    try:
        import yaml

        cfg = yaml.safe_load(cfg_yaml)
    except Exception:
        return None
    model = cfg.get("MODEL") if isinstance(cfg, Mapping) else None
    if not isinstance(model, Mapping):
        return None
    parts = [f"MODEL.ARCH {model.get('ARCH')!r}"]
    if model.get("NUM_CLASSES") is not None:
        parts.append(f"{model.get('NUM_CLASSES')} classes")
    return f"MODEL_NAME {model.get('MODEL_NAME')!r} ({', '.join(parts)})"


def describe_contents(raw: Any, state: Mapping[str, torch.Tensor] | None = None) -> str:
    """What a loaded checkpoint holds: the model its stored ``cfg`` names, else its tensor count and
    top-level module names (e.g. ``visual(152), transformer(146)``)."""
    named = _cfg_model(raw.get("cfg")) if isinstance(raw, Mapping) else None
    if named:
        epoch = raw.get("epoch")
        return f"an svit checkpoint of {named}" + (f", epoch {epoch}" if isinstance(epoch, int) else "")
    if state is None:
        return f"a {type(raw).__name__}"
    tops: dict[str, int] = {}
    for k in state:
        top = str(k).removeprefix("module.").split(".", 1)[0]
        tops[top] = tops.get(top, 0) + 1
    common = sorted(tops.items(), key=lambda kv: -kv[1])[:4]
    return f"a state dict of {len(state)} tensors (top-level {', '.join(f'{k}({n})' for k, n in common)})"
