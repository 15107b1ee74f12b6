"""TSM shift, TAM and temporal pooling on tiny tensors against hand-computed values."""
from __future__ import annotations

import pytest
import torch

from svit.models.cnn.heads import VideoClassifierHead
from svit.models.cnn.resnet2d import BasicBlock2d, ResNet2dVideo
from svit.models.cnn.tam import TAM
from svit.models.cnn.temporal_modules2d import TemporalModuleSpec, TemporalShift
from svit.models.cnn.temporal_pool2d import TemporalPool2d


def _clip(t: int, c: int, n: int = 1) -> torch.Tensor:
    """(N*T, C, 1, 1) with value 100*n + 10*t + c... encoded so every entry is distinct."""
    v = torch.tensor([[1000.0 * b + 10.0 * ti + ci for ci in range(c)] for b in range(n) for ti in range(t)])
    return v.view(n * t, c, 1, 1)


def test_temporal_shift_by_hand() -> None:
    t, c = 4, 16  # fold_div 8 -> 2 channels each way
    x = _clip(t, c, n=2)
    y = TemporalShift(t, 8)(x).view(2, t, c)
    xv = x.view(2, t, c)
    for b in range(2):
        for ti in range(t):
            for ci in range(c):
                if ci < 2:  # takes the next frame's value
                    want = xv[b, ti + 1, ci] if ti + 1 < t else 0.0
                elif ci < 4:  # takes the previous frame's value
                    want = xv[b, ti - 1, ci] if ti >= 1 else 0.0
                else:
                    want = xv[b, ti, ci]
                assert y[b, ti, ci] == want, (b, ti, ci)


def test_tsm_residual_shift_placement() -> None:
    """The residual branch sees shifted features, the identity shortcut the original ones."""
    torch.manual_seed(0)
    t, c = 4, 16
    block = BasicBlock2d(c, c, temporal=TemporalShift(t, 8)).eval()
    x = torch.randn(2 * t, c, 3, 3)
    with torch.no_grad():
        got = block(x)
        shifted = TemporalShift(t, 8)(x)
        branch = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(shifted)))))
        want = torch.relu(branch + x)
        wrong = torch.relu(branch + shifted)  # "in-place" shift placement
    torch.testing.assert_close(got, want)
    assert not torch.allclose(got, wrong)


def _set_dw(tam: TAM, weights: list[list[float]]) -> None:
    for conv, w in zip(tam.branches(), weights):
        conv.fc1.weight.data = torch.tensor(w).view(-1, 1, 1, 1)


@pytest.mark.parametrize("method", ["sum", "max"])
def test_tam_three_frames_by_hand(method: str) -> None:
    t, c = 4, 2
    tam = TAM(t, c, dw_conv=True, blending_frames=3, blending_method=method)
    a, b, d = [0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]  # prev, curr, next per channel
    _set_dw(tam, [a, b, d])
    x = torch.tensor([[1.0, -2.0], [3.0, 0.5], [-1.0, 4.0], [2.0, -3.0]]).view(t, c, 1, 1)
    y = tam(x).view(t, c)
    xv = x.view(t, c)
    for ti in range(t):
        for ci in range(c):
            p = a[ci] * xv[ti - 1, ci].item() if ti >= 1 else 0.0  # P_{t-1}
            q = b[ci] * xv[ti, ci].item()  # Q_t
            r = d[ci] * xv[ti + 1, ci].item() if ti + 1 < t else 0.0  # R_{t+1}
            z = p + q + r if method == "sum" else max(p, q, r)
            assert y[ti, ci].item() == pytest.approx(max(z, 0.0), abs=1e-6), (ti, ci)


def test_tam_five_frames_and_full_convs_by_hand() -> None:
    t, c = 3, 2
    tam = TAM(t, c, dw_conv=False, blending_frames=5, blending_method="sum")
    assert [n for n, _ in tam.named_parameters()][0] == "blending_layers.0.fc1.weight"
    mats = [torch.tensor([[1.0, 2.0], [0.0, -1.0]]) * (k + 1) / 4 for k in range(5)]
    for conv, m in zip(tam.branches(), mats):
        conv.fc1.weight.data = m.view(c, c, 1, 1)
    x = torch.tensor([[1.0, -1.0], [2.0, 0.5], [-3.0, 1.0]])
    y = tam(x.view(t, c, 1, 1)).view(t, c)
    for ti in range(t):
        acc = torch.zeros(c)
        for k in range(5):
            src = ti + k - 2  # shift s_k = k - 5 // 2
            if 0 <= src < t:
                acc += mats[k] @ x[src]
        torch.testing.assert_close(y[ti], acc.clamp(min=0))


def test_tam_parameter_names_and_shapes() -> None:
    names = {n: tuple(p.shape) for n, p in TAM(8, 6).named_parameters()}
    assert names == {f"{k}_se.fc1.weight": (6, 1, 1, 1) for k in ("prev", "curr", "next")}


def test_temporal_pool_by_hand() -> None:
    vals = torch.tensor([1.0, 5.0, 2.0, 3.0, -1.0, -2.0])  # T = 6 -> 3 frames
    x = vals.view(6, 1, 1, 1)
    mx = TemporalPool2d(6, "max")(x).flatten()
    av = TemporalPool2d(6, "avg")(x).flatten()
    torch.testing.assert_close(mx, torch.tensor([5.0, 5.0, 3.0]))
    # Average pooling counts the zero padding (divides by 3 at the border too).
    torch.testing.assert_close(av, torch.tensor([6.0 / 3, 10.0 / 3, 0.0 / 3]))


def test_frames_through_the_network() -> None:
    pooled = ResNet2dVideo(18, 8, 3, without_t_stride=False)
    assert [pooled.pool1.frames, pooled.pool2.frames, pooled.pool3.frames, pooled.out_frames] == [8, 4, 2, 1]
    tam = ResNet2dVideo(18, 8, 3, temporal=TemporalModuleSpec("TAM"), without_t_stride=False)
    assert [tam.layer1[0].tam.duration, tam.layer2[0].tam.duration, tam.layer4[1].tam.duration] == [8, 4, 1]
    flat = ResNet2dVideo(18, 8, 3, without_t_stride=True)
    assert flat.out_frames == 8 and not hasattr(flat, "pool1")


def test_head_averages_per_frame_logits() -> None:
    torch.manual_seed(0)
    head = VideoClassifierHead(4, 3, dropout_rate=0.5).eval()
    feats = torch.randn(2 * 5, 4, 2, 2)  # B=2, T=5, frame index inner
    got = head(feats, batch_size=2)
    pooled = feats.mean(dim=(2, 3)).view(2, 5, 4)
    want = torch.stack(
        [torch.stack([head.weight @ pooled[b, t] + head.bias for t in range(5)]).mean(0) for b in range(2)]
    )
    torch.testing.assert_close(got, want)
    # Same result from (B, C, T, H, W) features.
    torch.testing.assert_close(head(feats.view(2, 5, 4, 2, 2).transpose(1, 2)), want)
    assert set(head.state_dict()) == {"weight", "bias"}


def test_model_uses_time_order() -> None:
    """TAM/TSM models are sensitive to frame order, TSN without pooling is not."""
    torch.manual_seed(0)
    x = torch.randn(1, 3, 4, 32, 32)
    for name, sensitive in (("none", False), ("TSM", True), ("TAM", True)):
        m = ResNet2dVideo(18, 4, 5, temporal=TemporalModuleSpec(name)).eval()
        with torch.no_grad():
            same = torch.allclose(m(x), m(x.flip(2)), atol=1e-5)
        assert same != sensitive, name
