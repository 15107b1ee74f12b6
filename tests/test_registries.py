"""Tests that follow the registries: a new model, dataset, loss, task, hook or adapter is covered the
moment it is registered.

* every registered model builds at a tiny size, runs forward and backward, and follows the model
  convention (``forward_features`` map, ``forward_head``, ``no_weight_decay``,
  ``set_grad_checkpointing`` giving the same gradients); a family provides its tiny size as the
  ``tiny_config(cfg)`` attribute of its builder (``@tiny_size`` beside the builder);
* every shipped yaml under configs/ loads and builds on the meta device;
* every registered dataset, loss, task, batch hook and checkpoint adapter is named by some test.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import svit.data  # noqa: F401  (fills the registries)
import svit.engine.hooks  # noqa: F401
import svit.engine.tasks  # noqa: F401
import svit.losses  # noqa: F401
from svit.config import get_cfg, load_config
from svit.data.registry import DATASET_REGISTRY
from svit.engine.hooks import HOOK_REGISTRY
from svit.engine.tasks.registry import TASK_REGISTRY
from svit.losses.registry import LOSS_REGISTRY
from svit.models import MODEL_REGISTRY, build_model
from svit.models.adapters import ADAPTER_REGISTRY

REPO = Path(__file__).resolve().parents[1]
NUM_CLASSES = 5


def tiny_cfg(name: str):
    """The tiny config of registered model ``name`` and its input shape, from the ``tiny_config(cfg)``
    its family declares beside the builder (``svit.models.tiny.tiny_size``)."""
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = name, NUM_CLASSES
    hook = getattr(MODEL_REGISTRY.get(name), "tiny_config", None)
    if callable(hook):
        shape = hook(cfg)
        return cfg, tuple(shape)
    pytest.fail(f"model '{name}' is registered but has no tiny size: give its builder a tiny_config(cfg) -> input "
                "shape (@tiny_size(overrides, shape) from svit.models.tiny)")


def _logits(out):
    return out["logits"] if isinstance(out, dict) else out


def _features_and_head(model, x):
    """(forward_features(x), forward_head of it); models with a CLS token pass it on (MViT/SViT)."""
    if hasattr(model, "forward_features_cls"):
        feats, cls = model.forward_features_cls(x)
        return feats, model.forward_head(feats, cls)
    feats = model.forward_features(x)
    return feats, model.forward_head(feats)


def _grads(model, x, seed=0):
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    out = _logits(model(x))
    (out.float().square().mean()).backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def _shipped(registry) -> list[str]:
    """Names registered by the svit package itself (test modules register toy models in the same
    process, and which of them are imported depends on how pytest distributes the files)."""
    return [n for n in registry.names() if getattr(registry.get(n), "__module__", "").startswith("svit.")]


MODELS = _shipped(MODEL_REGISTRY)


def test_registered_models_all_have_a_tiny_size():
    assert set(MODELS) >= {"MViT", "SViT", "TSN", "TSM", "TAM", "I3D", "S3D", "R2plus1D", "H2CN"}
    for name in MODELS:
        tiny_cfg(name)


@pytest.mark.parametrize("name", MODELS)
def test_model_builds_tiny_trains_and_follows_the_convention(name):
    """One build per model: forward + backward, the same gradients with gradient checkpointing,
    then (eval) the feature map, forward_head(forward_features) == forward, no_weight_decay."""
    cfg, shape = tiny_cfg(name)
    torch.manual_seed(0)
    model = build_model(cfg).train()
    x = torch.randn(shape)
    plain = _grads(model, x, seed=3)
    assert plain and any(g.abs().sum() > 0 for g in plain.values())
    assert set(plain) <= {n for n, p in model.named_parameters() if p.requires_grad}
    assert callable(getattr(model, "set_grad_checkpointing", None)), f"{name} has no set_grad_checkpointing"
    model.set_grad_checkpointing(True)
    ckpt = _grads(model, x, seed=3)
    assert plain.keys() == ckpt.keys()
    for n in plain:
        torch.testing.assert_close(plain[n], ckpt[n], rtol=1e-4, atol=1e-6, msg=n)
    model.set_grad_checkpointing(False)

    model.eval()
    with torch.no_grad():
        logits = _logits(model(x))
        assert logits.shape == (shape[0], NUM_CLASSES) and torch.isfinite(logits).all()
        feats, head = _features_and_head(model, x)
        assert feats.ndim == 5 and feats.shape[0] == shape[0], f"{name}: forward_features gave {tuple(feats.shape)}"
        torch.testing.assert_close(head, logits, rtol=1e-4, atol=1e-5)
    no_wd = model.no_weight_decay()
    assert isinstance(no_wd, set) and no_wd <= {n for n, _ in model.named_parameters()}

    cfg.MODEL.ACT_CHECKPOINT = True  # the config switch reaches the same flag
    with torch.device("meta"):
        assert getattr(build_model(cfg), "grad_checkpointing", True)


# yaml files under configs/ that are not run configs.
NOT_CONFIGS = {Path("configs/model_zoo_meta.yaml")}  # an index of the model zoo (tools/model_zoo.py)
SHIPPED = sorted(
    p.relative_to(REPO) for p in (REPO / "configs").rglob("*.yaml") if p.relative_to(REPO) not in NOT_CONFIGS
)


@pytest.mark.parametrize("path", SHIPPED, ids=str)
def test_shipped_config_loads_and_builds_on_meta(path):
    from svit.models.prepare import resolve_model_config

    cfg = load_config(str(REPO / path))
    if hasattr(cfg, "defrost"):
        cfg.defrost()
    resolve_model_config(cfg)
    with torch.device("meta"):
        model = build_model(cfg)
    assert sum(p.numel() for p in model.parameters()) > 0


def _test_corpus() -> list[str]:
    """Test code, plus the shipped configs that tests load by name."""
    tests = [p for p in (REPO / "tests").rglob("*.py") if p.name != Path(__file__).name]
    texts = [p.read_text(encoding="utf-8") for p in tests]
    texts += [p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("*.yaml")]
    joined = "\n".join(texts)
    for cfg in (REPO / "configs").rglob("*.yaml"):
        if cfg.stem in joined:
            texts.append(cfg.read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("registry", [DATASET_REGISTRY, LOSS_REGISTRY, TASK_REGISTRY, HOOK_REGISTRY, ADAPTER_REGISTRY],
                         ids=lambda r: r.kind)
def test_every_registered_part_is_exercised_by_a_test(registry):
    texts = _test_corpus()
    missing = []
    for name in _shipped(registry):
        quoted = re.compile(r"[\"']{0}[\"']|[\[\s,:]{0}[\]\s,]".format(re.escape(name)))
        called = getattr(registry.get(name), "__name__", None)
        by_call = re.compile(r"\b{0}\(".format(re.escape(called))) if called else None
        if not any(quoted.search(t) or (by_call and by_call.search(t)) for t in texts):
            missing.append(name)
    assert not missing, f"registered {registry.kind}s no test names or calls: {missing}"
