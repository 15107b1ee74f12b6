"""Saving and loading checkpoints (.pyth, PySlowFast layout).

A resumable checkpoint is ``{"model_state", "optimizer_state", "scaler_state", "epoch", "cfg",
"task_state"}`` with ``cfg`` as a yaml string, so ``torch.load(weights_only=True)`` reads it: no
pickled code is ever executed when loading ours or anyone else's file. Files are written atomically
(svit.utils.atomic): a crash mid-save never leaves a truncated file under the final name, and
``svit.run_folder.last_checkpoint`` only considers complete names (where a run's checkpoints live is
the run folder's layout, svit/run_folder.py). Foreign files are converted by the checkpoint adapters
of ``ADAPTER_REGISTRY``, which the model families fill.
"""
from __future__ import annotations

import logging
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import torch
import torch.nn as nn

from svit.checkpoint_files import CheckpointError, describe_contents, unreadable_message
from svit.utils.atomic import atomic_open
from svit.utils.distributed import is_main_process
from svit.utils.registry import Registry
from svit.weights import resolve

logger = logging.getLogger("svit.checkpoint")


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside DistributedDataParallel (or the model itself)."""
    return model.module if hasattr(model, "module") and isinstance(model.module, nn.Module) else model


def save_checkpoint(
    path: str,
    model: nn.Module,
    epoch: int,
    optimizer: torch.optim.Optimizer | None = None,
    scaler: Any | None = None,
    cfg_yaml: str = "",
    task_state: Mapping[str, Any] | None = None,
) -> str:
    """Writes a resumable checkpoint to ``path`` atomically and returns ``path``.

    Call on rank 0 only. ``epoch`` is the number of completed epochs (resume starts there).
    """
    state = {
        "model_state": unwrap(model).state_dict(),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "scaler_state": scaler.state_dict() if scaler is not None else None,
        "epoch": int(epoch),
        "cfg": cfg_yaml,
        "task_state": dict(task_state) if task_state else {},
    }
    with atomic_open(path, "wb") as f:
        torch.save(state, f)
    return path


def _is_torchscript_archive(path: str) -> bool:
    """True for a TorchScript zip (``torch.jit.save``: ``<root>/constants.pkl`` and ``<root>/code/``),
    which ``torch.load`` cannot read; plain ``torch.save`` zips hold ``data.pkl`` only."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(n.endswith("/constants.pkl") or "/code/" in n for n in names)


is_torchscript_archive = _is_torchscript_archive


def read_checkpoint(path: str) -> Any:
    """Reads ``path`` on CPU: ``torch.load(weights_only=True)``, or for a TorchScript archive (e.g. an
    OpenAI CLIP ``.pt``) the state dict of ``torch.jit.load`` (tensors as stored, fp16 stays fp16).
    CheckpointError naming the file on failure. ``path`` may also be a catalogue name or a URL
    (svit.weights.resolve downloads it once and returns the cached file)."""
    path = str(resolve(path))
    if not os.path.isfile(path):
        raise CheckpointError(f"Checkpoint not found: {path}")
    if _is_torchscript_archive(path):
        try:
            with warnings.catch_warnings():  # torch.jit.load's deprecation notice, once per file
                warnings.simplefilter("ignore", FutureWarning)
                return dict(torch.jit.load(path, map_location="cpu").state_dict())
        except Exception as e:
            raise CheckpointError(unreadable_message(path, e, "TorchScript archive")) from None
    try:
        with warnings.catch_warnings():  # the unpickler's protocol notice: the error below says it all
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, pickle with code, not a torch file: one line, no torch text
        raise CheckpointError(unreadable_message(path, e)) from None


STATE_DICT_KEYS = ("model_state", "state_dict", "model", "model_state_dict")


def extract_state_dict(obj: Any, path: str = "<checkpoint>") -> dict[str, torch.Tensor]:
    """The model weights inside a checkpoint: ``model_state``, ``state_dict``, ``model``,
    ``model_state_dict`` (looked up recursively) or a plain state dict."""
    if isinstance(obj, Mapping):
        for key in STATE_DICT_KEYS:
            if key in obj and isinstance(obj[key], Mapping):
                return extract_state_dict(obj[key], path)
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if tensors:
            return {str(k): v for k, v in tensors.items()}
    raise CheckpointError(
        f"No model weights in {path}: expected one of {list(STATE_DICT_KEYS)} or a plain state dict."
    )


def strip_prefix(state: dict[str, torch.Tensor], prefix: str = "module.") -> dict[str, torch.Tensor]:
    """Removes the DDP ``module.`` prefix from every key that has it."""
    return {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in state.items()}


def rename_keys(state: dict[str, torch.Tensor], patterns: Iterable[Iterable[str]]) -> dict[str, torch.Tensor]:
    """Applies (old, new) substring replacements (TRAIN.CHECKPOINT_REPLACE_NAME_PATTERN) to keys."""
    pairs = [tuple(p) for p in patterns]
    if not pairs:
        return state
    out = {}
    for k, v in state.items():
        for old, new in pairs:
            k = k.replace(old, new)
        out[k] = v
    return out


@dataclass
class LoadReport:
    """What ``load_checkpoint`` did; adapters fill ``resampled`` and ``dropped`` while converting.

    ``loaded``: model keys set from the file; ``missing``: model keys the file did not provide;
    ``unexpected``: file keys (after adaptation) the model does not have; ``skipped``: (key, file
    shape, model shape) left at init because the shapes differ; ``resampled``: (key, old shape,
    new shape) an adapter or the model hook interpolated to fit; ``dropped``: (key, reason) file
    keys an adapter discarded on purpose; ``scope``: the part of the model the file is meant to fill
    (a key prefix set by the adapter, e.g. ``backbone.`` for a CLIP tower; "" = the whole model),
    over which ``check_coverage`` measures the share.
    """

    path: str
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    skipped: list[tuple[str, tuple, tuple]] = field(default_factory=list)
    resampled: list[tuple[str, tuple, tuple]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    scope: str = ""
    epoch: int | None = None
    checkpoint: Any = None

    def __repr__(self) -> str:
        """Counts, not contents: the report holds the whole checkpoint (``checkpoint``)."""
        return (
            f"LoadReport(path={self.path!r}, loaded={len(self.loaded)}, missing={len(self.missing)}, "
            f"unexpected={len(self.unexpected)}, skipped={len(self.skipped)}, "
            f"resampled={len(self.resampled)}, dropped={len(self.dropped)}, epoch={self.epoch})"
        )

    def summary(self) -> str:
        """One line: counts, and the first few names of each kind of mismatch."""
        parts = [f"Loaded {len(self.loaded)} tensors from {self.path}"]
        if self.resampled:
            parts.append(f"resampled {len(self.resampled)} {_first([k for k, _, _ in self.resampled])}")
        if self.dropped:
            parts.append(f"dropped {len(self.dropped)} on purpose {_first([k for k, _ in self.dropped])}")
        if self.missing:
            parts.append(f"{len(self.missing)} missing in the file (kept as initialised) {_first(self.missing)}")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unexpected (ignored) {_first(self.unexpected)}")
        if self.skipped:
            shapes = [f"{k} {tuple(got)}!={tuple(want)}" for k, got, want in self.skipped]
            parts.append(f"{len(self.skipped)} shape-mismatched (kept as initialised) {_first(shapes)}")
        return "; ".join(parts)

    def log(self) -> None:
        """The summary line on rank 0; a WARNING when a tensor outside the head (within ``scope``: a CLIP
        file leaves the side network to its init on purpose) was not loaded."""
        if not is_main_process():  # every rank loads the same file: report it once
            return
        not_head = [k for k in self.missing + self.unexpected + [s[0] for s in self.skipped]
                    if not is_head_key(k) and (k.startswith(self.scope) or k in self.unexpected)]
        logger.log(logging.WARNING if not_head else logging.INFO, "%s", self.summary())


def _first(names: Sequence[str], n: int = 3) -> str:
    """``[a, b, c, ...]``: the first ``n`` names, for one-line summaries."""
    return "[" + ", ".join(names[:n]) + (", ..." if len(names) > n else "") + "]"


# Top-level modules that are the classifier in svit's families (MViT/SViT/Swin/UniFormer/ViViT:
# ``head``; CNNs, H2CN, Side4Video: ``fc``); a fine-tune replaces them, so coverage ignores them.
HEAD_MODULES = ("head", "fc", "cls_head", "new_fc", "classifier")


def is_head_key(key: str) -> bool:
    """True for a tensor of the classifier (first name component in HEAD_MODULES)."""
    return key.split(".", 1)[0] in HEAD_MODULES


def check_coverage(report: LoadReport, own: Mapping[str, torch.Tensor], min_loaded: float) -> float:
    """Share of the model's elements (floating tensors, the head aside) set from the file; raises
    CheckpointError naming the file, what it holds and the top mismatches below ``min_loaded``."""
    body = {k: v for k, v in own.items() if not is_head_key(k) and v.is_floating_point() and k.startswith(report.scope)}
    total = sum(v.numel() for v in body.values())
    loaded = set(report.loaded)
    got = sum(v.numel() for k, v in body.items() if k in loaded)
    share = got / total if total else 1.0
    if share >= min_loaded:
        return share
    n_loaded = sum(1 for k in body if k in loaded)
    raw = report.checkpoint
    try:
        holds = describe_contents(raw, extract_state_dict(raw, report.path))
    except CheckpointError:
        holds = describe_contents(raw)
    missing = [k for k in report.missing if k in body]
    raise CheckpointError(
        f"{report.path} initialises only {share:.0%} of {report.scope or 'the model'} ({n_loaded}/{len(body)} "
        f"tensors outside the head; TRAIN.CHECKPOINT_MIN_LOADED is {min_loaded:g}): the file is {holds}. "
        f"Model tensors not in the file: {len(missing)} {_first(missing)}; file tensors the model lacks: "
        f"{len(report.unexpected)} {_first(report.unexpected)}; shape mismatches: {len(report.skipped)} "
        f"{_first([f'{k} {tuple(a)}!={tuple(b)}' for k, a, b in report.skipped])}. Check MODEL.MODEL_NAME and "
        "TRAIN.CHECKPOINT_TYPE, or set TRAIN.CHECKPOINT_MIN_LOADED 0 to accept a partial load on purpose."
    )


PLAIN_TYPES = ("auto", "pytorch", "", None)

# Checkpoint adapters by TRAIN/TEST.CHECKPOINT_TYPE name: ``adapt(state, model, report) -> state``
# (the contract: svit/models/adapters/registry.py). The registry lives here, below the models, so that
# loading looks adapters up without importing them; each adapter registers itself when its family is
# imported (``import svit.models`` imports them all, as building any model does).
ADAPTER_REGISTRY = Registry("checkpoint adapter")


def _types(checkpoint_type: str | Sequence[str] | None) -> list[str]:
    """One adapter name or a sequence of them (applied in order), plain types removed."""
    names = [checkpoint_type] if checkpoint_type is None or isinstance(checkpoint_type, str) else checkpoint_type
    return [n for n in names if n not in PLAIN_TYPES]


def adapt_state_dict(
    state: dict[str, torch.Tensor],
    model: nn.Module,
    checkpoint_type: str | Sequence[str] | None = "auto",
    replace_patterns: Iterable[Iterable[str]] = (),
    report: LoadReport | None = None,
) -> dict[str, torch.Tensor]:
    """Foreign state dict -> our names: strip ``module.``, rename, registered adapter(s)
    ``adapt(state, model, report)``, then the model's ``adapt_checkpoint_state(state, report)`` hook
    (MViT resamples its position tables there)."""
    report = report if report is not None else LoadReport(path="<state dict>")
    target = unwrap(model)
    state = strip_prefix(state)
    state = rename_keys(state, replace_patterns)
    names = _types(checkpoint_type)
    for name in names:
        if name not in ADAPTER_REGISTRY:
            raise CheckpointError(
                f"CHECKPOINT_TYPE '{name}' has no registered adapter; known: "
                f"{ADAPTER_REGISTRY.names()} (or 'pytorch')."
            )
        state = ADAPTER_REGISTRY.get(name)(state, target, report)
    hook = getattr(target, "adapt_checkpoint_state", None)
    if callable(hook):
        state = hook(state, report)
    return state


def load_checkpoint(
    path: str,
    model: nn.Module,
    strict: bool = False,
    checkpoint_type: str | Sequence[str] | None = "auto",
    replace_patterns: Iterable[Iterable[str]] = (),
    min_loaded: float | None = None,
) -> LoadReport:
    """Loads the weights of ``path`` into ``model`` and returns a LoadReport (also logged).

    ``checkpoint_type`` names the adapter (or a list of adapters applied in order). Tensors whose
    shape still differs from the model's (e.g. a K400 head on SSv2) are skipped. With ``strict``
    any missing, unexpected or skipped key raises CheckpointError. ``min_loaded`` (an
    initialisation: TRAIN.CHECKPOINT_MIN_LOADED) is the least share of the model outside its head
    that the file must set (``check_coverage``), checked before the model is touched.
    """
    raw = read_checkpoint(path)
    report = LoadReport(path=path, checkpoint=raw)
    state = adapt_state_dict(extract_state_dict(raw, path), model, checkpoint_type, replace_patterns, report)
    target = unwrap(model)
    own = target.state_dict()
    if isinstance(raw, Mapping) and isinstance(raw.get("epoch"), int):
        report.epoch = raw["epoch"]
    usable = {}
    for k, v in state.items():
        if k not in own:
            report.unexpected.append(k)
        elif tuple(v.shape) != tuple(own[k].shape):
            report.skipped.append((k, tuple(v.shape), tuple(own[k].shape)))
        else:
            usable[k] = v
    report.missing = [k for k in own if k not in usable and k not in {s[0] for s in report.skipped}]
    if strict and (report.missing or report.unexpected or report.skipped):
        report.log()
        raise CheckpointError(
            f"Checkpoint {path} does not match the model: {len(report.missing)} missing, "
            f"{len(report.unexpected)} unexpected, {len(report.skipped)} shape-mismatched keys "
            f"(first: {(report.missing + report.unexpected + [s[0] for s in report.skipped])[:5]})."
        )
    report.loaded = sorted(usable)
    if min_loaded is not None and min_loaded > 0:
        check_coverage(report, own, min_loaded)
    target.load_state_dict(usable, strict=False)
    report.log()
    return report


def resume_from(
    path: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scaler: Any | None = None,
) -> dict[str, Any]:
    """Restores model (strictly), optimizer and scaler from one of our checkpoints; returns it."""
    report = load_checkpoint(path, model, strict=True)
    ckpt = report.checkpoint
    if optimizer is not None and ckpt.get("optimizer_state") is not None:
        optimizer.load_state_dict(ckpt["optimizer_state"])
    if scaler is not None and ckpt.get("scaler_state"):
        scaler.load_state_dict(ckpt["scaler_state"])
    return ckpt
