"""TEST.CUDA_GRAPHS: the evaluation forward from a CUDA graph equals the eager one, per input shape;
on CPU (CI) the switch leaves the model untouched and says so once."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from svit.config import get_cfg
from svit.engine.cuda_graphs import CudaGraphForward, graphed_eval


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        h = self.conv(x).mean(dim=(2, 3, 4))
        return {"logits": self.fc(h), "features": h}


def _cfg(on: bool):
    cfg = get_cfg()
    cfg.TEST.CUDA_GRAPHS = on
    return cfg


def test_off_or_cpu_returns_the_model_and_warns_once(monkeypatch):
    from svit.engine import cuda_graphs

    warnings = []  # the svit logger may not propagate to caplog once a run has configured logging
    monkeypatch.setattr(cuda_graphs.logger, "warning", lambda msg, *a: warnings.append(msg % a))
    net = _Net().eval()
    assert graphed_eval(_cfg(False), net, torch.device("cpu")) is net
    assert graphed_eval(_cfg(True), net, torch.device("cpu")) is net
    assert graphed_eval(_cfg(True), net, torch.device("cpu")) is net
    assert len(warnings) == 1 and "needs a CUDA device" in warnings[0]
    assert "_svit_cuda_graph_forward_warned" not in net.state_dict()


def test_cpu_tensors_and_grad_mode_run_the_model_directly():
    torch.manual_seed(0)
    net = _Net().eval()
    wrapper = CudaGraphForward(net, None)
    x = torch.randn(2, 3, 2, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(wrapper(x)["logits"], net(x)["logits"])
    out = wrapper(x.requires_grad_())  # grad enabled: eager, so backward works
    out["logits"].sum().backward()
    assert net.fc.weight.grad is not None and not wrapper._graphs


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")
def test_graph_replay_equals_eager_per_shape_and_sees_weight_updates():
    torch.manual_seed(0)
    net = _Net().cuda().eval()
    cfg = _cfg(True)
    wrapper = graphed_eval(cfg, net, torch.device("cuda"))
    assert isinstance(wrapper, CudaGraphForward) and graphed_eval(cfg, net, torch.device("cuda")) is wrapper
    with torch.no_grad():
        for shape in ((4, 3, 2, 8, 8), (4, 3, 2, 8, 8), (3, 3, 2, 8, 8)):
            x = torch.randn(shape, device="cuda")
            got, ref = wrapper(x), net(x)
            torch.testing.assert_close(got["logits"], ref["logits"])
        assert len(wrapper._graphs) == 2
        first = wrapper(x)["logits"]
        net.fc.weight.add_(1.0)  # in-place update: the next replay reads it
        torch.testing.assert_close(wrapper(x)["logits"], net(x)["logits"])
        assert not torch.equal(first, wrapper(x)["logits"])
