"""Model EMA: an exponential moving average of a model's weights, kept as a frozen deep copy.

``ema = d * ema + (1 - d) * online`` for every parameter (and floating-point buffer when
``update_buffers``; other buffers are then copied) on every ``update_period``-th call of
``update``. With ``update_buffers=False`` the copy's buffers (BN statistics) are left alone, so they
come from the copy's own train-mode forwards (what SV-Mix's teacher does). The copy stays in eval
mode with ``requires_grad=False``; a hook that needs train-mode teacher forwards switches it itself.
"""
from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.checkpoint import CheckpointError
from svit.config.errors import ConfigError


class EmaStateError(CheckpointError):
    """A stored EMA state that does not fit the model (other family, size or class count), or none
    where one is needed; a CheckpointError, so the launcher and tools print it without a traceback."""


def check_ema_config(cfg: CfgNode) -> None:
    """ConfigError for MODEL_EMA values that cannot work (checked before anything is built)."""
    eval_model, enable = cfg.MODEL_EMA.EVAL_MODEL, cfg.MODEL_EMA.ENABLE
    if eval_model not in ("online", "ema"):
        raise ConfigError(f"MODEL_EMA.EVAL_MODEL must be 'online' or 'ema', got {eval_model!r}.")
    if eval_model == "ema" and not enable:
        raise ConfigError("MODEL_EMA.EVAL_MODEL is 'ema' but MODEL_EMA.ENABLE is False.")
    if not enable:
        return
    if not 0.0 < float(cfg.MODEL_EMA.DECAY) < 1.0:
        raise ConfigError(f"MODEL_EMA.DECAY must be in (0, 1), got {cfg.MODEL_EMA.DECAY}.")
    if int(cfg.MODEL_EMA.UPDATE_PERIOD) < 1:
        raise ConfigError(f"MODEL_EMA.UPDATE_PERIOD must be >= 1, got {cfg.MODEL_EMA.UPDATE_PERIOD}.")


class ModelEma:
    """EMA of ``model`` (an unwrapped nn.Module); ``module`` is the averaged copy."""

    def __init__(self, model: nn.Module, decay: float, update_buffers: bool = True, update_period: int = 1) -> None:
        if not 0.0 < float(decay) < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        if int(update_period) < 1:
            raise ValueError(f"EMA update period must be >= 1, got {update_period}")
        self.module = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = float(decay)
        self.update_buffers = bool(update_buffers)
        self.update_period = int(update_period)
        self.num_calls = 0  # update() calls so far; every update_period-th one averages

    @classmethod
    def from_config(cls, cfg: CfgNode, model: nn.Module) -> ModelEma | None:
        """The EMA of MODEL_EMA.*, or None when MODEL_EMA.ENABLE is False."""
        if not cfg.MODEL_EMA.ENABLE:
            return None
        return cls(model, cfg.MODEL_EMA.DECAY, cfg.MODEL_EMA.UPDATE_BUFFERS, cfg.MODEL_EMA.UPDATE_PERIOD)

    @torch.no_grad()
    def update(self, model: nn.Module) -> bool:
        """One call per optimiser step; averages on every ``update_period``-th call (returns whether)."""
        self.num_calls += 1
        if self.num_calls % self.update_period:
            return False
        d = self.decay
        # multi-tensor (foreach) kernels: a handful of launches per step instead of two per tensor (an
        # MViT/SViT EMA step was ~900 small kernels); same arithmetic, e*d + o*(1-d), bit for bit
        online = dict(model.named_parameters())
        ema_t, online_t = [], []
        for name, e in self.module.named_parameters():
            ema_t.append(e)
            online_t.append(online[name].detach().to(e.dtype))
        if self.update_buffers:
            buffers = dict(model.named_buffers())
            for name, e in self.module.named_buffers():
                o = buffers[name].detach()
                if e.is_floating_point():
                    ema_t.append(e)
                    online_t.append(o.to(e.dtype))
                else:
                    e.copy_(o)
        if ema_t:
            torch._foreach_mul_(ema_t, d)
            torch._foreach_add_(ema_t, online_t, alpha=1.0 - d)
        return True

    def copy_from(self, model: nn.Module) -> None:
        """Resets the EMA to ``model``'s weights (after loading initial weights into the model)."""
        self.module.load_state_dict(model.state_dict())

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "num_calls": self.num_calls, "decay": self.decay}

    def load_state_dict(self, state: dict[str, Any], source: str = "checkpoint") -> None:
        """Restores the averaged weights; EmaStateError names ``source`` and the first mismatches."""
        if not isinstance(state, dict) or not isinstance(state.get("module"), dict):
            raise EmaStateError(f"{source}: 'ema_state' is not an EMA state (expected a dict with 'module').")
        stored, own = state["module"], self.module.state_dict()
        missing = sorted(set(own) - set(stored))
        unexpected = sorted(set(stored) - set(own))
        shapes = [
            f"{k}: stored {tuple(stored[k].shape)} vs model {tuple(v.shape)}"
            for k, v in own.items()
            if k in stored and tuple(stored[k].shape) != tuple(v.shape)
        ]
        if missing or unexpected or shapes:
            found = (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes))
            parts = [f"{what} {keys[:5]}{' ...' if len(keys) > 5 else ''}" for what, keys in found if keys]
            raise EmaStateError(
                f"{source}: the stored EMA model does not match the configured model ({'; '.join(parts)})."
            )
        self.module.load_state_dict(stored)
        self.num_calls = int(state.get("num_calls", 0))
