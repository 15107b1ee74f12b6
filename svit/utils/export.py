"""Export a configured model to TorchScript and ONNX, checked against PyTorch.

Both formats take one clip batch ``(B, C, T, H, W)`` of the config's test geometry (``DATA.NUM_FRAMES``
frames, ``DATA.TEST_CROP_SIZE`` crops, ``DATA.INPUT_CHANNEL_NUM[0]`` channels, normalised like the
test pipeline) and return the logits ``(B, K)``; models that return a dict (SViT) are exported
through their ``"logits"`` entry. Shapes are fixed at export (the CNN families' temporal reshapes
and MViT's pooling schedule are specialised to ``T, H, W`` and the batch size).

Every export is loaded back (``torch.jit.load``; ``onnxruntime`` on CPU) and run on a random clip;
the largest absolute difference to the eager PyTorch logits is reported and must stay below
``tolerance`` or ``ExportError`` is raised: an export that silently changes the numbers is worse
than none. The ONNX path uses PyTorch's ``torch.export``-based exporter (needs ``onnx``,
``onnxscript``; the check needs ``onnxruntime``: ``pip install -e ".[export]"``).
"""
from __future__ import annotations

import logging
import os
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Iterator

import torch
import torch.nn as nn

logger = logging.getLogger("svit.export")
FORMATS = ("torchscript", "onnx")


class ExportError(RuntimeError):
    """An export failed or its outputs differ from PyTorch's beyond the tolerance."""


class LogitsOnly(nn.Module):
    """``model(x)`` as a plain logits tensor (a dict output contributes its ``"logits"``)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return out["logits"] if isinstance(out, dict) else out


@dataclass
class ExportResult:
    """One written file and how closely it reproduces the eager model."""

    format: str
    path: str
    size_bytes: int
    max_abs_diff: float
    input_shape: list[int]


def example_input(cfg, batch_size: int = 1, seed: int = 0) -> torch.Tensor:
    """A random normalised clip batch of the config's test geometry."""
    g = torch.Generator().manual_seed(seed)
    c, t, s = int(cfg.DATA.INPUT_CHANNEL_NUM[0]), int(cfg.DATA.NUM_FRAMES), int(cfg.DATA.TEST_CROP_SIZE)
    return torch.randn(batch_size, c, t, s, s, generator=g)


@contextmanager
def plain_kernels(model: nn.Module) -> Iterator[None]:
    """Modules with a string ``impl`` switch (e.g. MViT's pooling conv, whose "fast" kernel is a custom
    autograd function the tracer cannot record) use their plain PyTorch form while exporting."""
    saved = []
    for m in model.modules():
        if isinstance(getattr(m, "impl", None), str):
            saved.append((m, m.__dict__.get("impl")))
            m.impl = "plain"
    try:
        yield
    finally:
        for m, old in saved:
            if old is None:
                del m.impl
            else:
                m.impl = old


def export_torchscript(model: nn.Module, x: torch.Tensor, path: str) -> torch.Tensor:
    """Traces ``model`` on ``x``, saves it, loads it back and returns its output on ``x``."""
    with warnings.catch_warnings(), plain_kernels(model):
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        traced = torch.jit.trace(model, x, check_trace=False)
        traced.save(path)
        loaded = torch.jit.load(path, map_location="cpu")
    with torch.no_grad():
        return loaded(x)


def export_onnx(model: nn.Module, x: torch.Tensor, path: str, opset: int | None = None) -> torch.Tensor:
    """Exports ``model`` to ONNX, runs the file with onnxruntime (CPU) and returns its output on ``x``."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise ExportError("ONNX export needs onnx, onnxscript and onnxruntime: pip install -e '.[export]'") from e
    kwargs = {"opset_version": opset} if opset else {}
    with warnings.catch_warnings(), plain_kernels(model):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, input_names=["clip"], output_names=["logits"], dynamo=True,
                          external_data=False, verbose=False, **kwargs)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    return torch.from_numpy(out)


def export_model(
    model: nn.Module, x: torch.Tensor, out_dir: str, name: str, formats=FORMATS, tolerance: float = 1e-4,
    opset: int | None = None,
) -> list[ExportResult]:
    """Writes ``out_dir/name.pt`` (TorchScript) and/or ``out_dir/name.onnx``, each checked against
    the eager logits on ``x`` (see the module doc)."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ExportError(f"unknown export format(s) {sorted(unknown)}; known: {list(FORMATS)}")
    os.makedirs(out_dir, exist_ok=True)
    net = LogitsOnly(model.eval()).eval()
    with torch.no_grad():
        ref = net(x).float()
    scale = max(1.0, float(ref.abs().max()))
    results = []
    for fmt in formats:
        path = os.path.join(out_dir, f"{name}.{'pt' if fmt == 'torchscript' else 'onnx'}")
        try:
            got = export_torchscript(net, x, path) if fmt == "torchscript" else export_onnx(net, x, path, opset)
        except ExportError:
            raise
        except Exception as e:
            raise ExportError(f"{fmt} export of {name} failed: {type(e).__name__}: {e}") from e
        diff = float((got.float() - ref).abs().max())
        if not diff <= tolerance * scale:
            raise ExportError(
                f"{fmt} export {path} differs from PyTorch by {diff:.3g} (max |logit| {scale:.3g}, tolerance "
                f"{tolerance} relative): not trusted"
            )
        results.append(ExportResult(fmt, path, os.path.getsize(path), diff, list(x.shape)))
        logger.info("%s: %s (%.1f MB), max |diff| to PyTorch %.2e", fmt, path, os.path.getsize(path) / 1e6, diff)
    return results


def results_as_dicts(results: list[ExportResult]) -> list[dict]:
    return [asdict(r) for r in results]
