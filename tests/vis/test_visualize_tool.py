"""tools/visualize.py: each subcommand on the tiny synthetic set, and what its pictures show."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from .conftest import CONFIGS, REPO, tiny_overrides


def _tool():
    spec = importlib.util.spec_from_file_location("tool_visualize", REPO / "tools" / "visualize.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _checkpoint(cfg_name: str, root: str, tmp: Path) -> str:
    """A checkpoint of the config's model (initial weights) in the engine's format."""
    from svit.checkpoint import save_checkpoint
    from svit.config import load_config
    from svit.models import build_model

    cfg = load_config(str(CONFIGS / cfg_name), tiny_overrides(root, tmp / "run") + ["MODEL.NUM_CLASSES", "12"])
    return save_checkpoint(str(tmp / f"{Path(cfg_name).stem}.pyth"), build_model(cfg), 1)


def _png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_data_pictures_boxes_where_the_sample_has_them(tiny_root, tmp_path):
    from svit.config import load_config
    from svit.engine.experiment import build_experiment
    from svit.vis.clips import picture_of, pixel_boxes
    from svit.vis.drawing import SLOT_COLORS

    out = tmp_path / "vis"
    assert _tool().main(["data", "--cfg", str(CONFIGS / "svit_tiny.yaml"), "--out", str(out), "--videos", "1",
                         *tiny_overrides(tiny_root, tmp_path / "run")]) == 0
    pngs = list(out.glob("data_*.png"))
    assert len(pngs) == 1 and _png(pngs[0]) and list(out.glob("data_*.gif"))
    assert (out / "config.yaml").is_file() and not (tmp_path / "run" / "config.yaml").exists()
    # the drawn frames: the last present slot's box corner has that slot's colour on every frame
    exp = build_experiment(load_config(str(CONFIGS / "svit_tiny.yaml"), tiny_overrides(tiny_root, tmp_path / "x")),
                           "train")
    sample = exp.dataset.load(1, 0, np.random.default_rng(0))
    pic = picture_of(exp.cfg, sample["inputs"], sample["boxes"], sample["box_mask"])
    px = pixel_boxes(sample["boxes"], pic.frames.shape[1:3])
    checked = 0
    for k, (boxes, mask) in enumerate(zip(px, sample["box_mask"].numpy())):
        if mask.any():
            s = int(np.nonzero(mask)[0][-1])
            x1, y1 = (int(round(float(v))) for v in boxes[s, :2])
            assert tuple(pic.frames[k, y1, x1]) == SLOT_COLORS[s]
            checked += 1
    assert checked > 0


def test_svmix_pictures_the_hooks_masks(tiny_root, tmp_path):
    from svit.config import load_config
    from svit.vis.drawing import overlay
    from svit.vis.svmix_view import load_batch, mix_step, svmix_parts

    out = tmp_path / "vis"
    opts = tiny_overrides(tiny_root, tmp_path / "run")
    assert _tool().main(["svmix", "--cfg", str(CONFIGS / "svmix_svit_tiny.yaml"), "--out", str(out),
                         "--videos", "0", "1", "--animation", "none", *opts]) == 0
    assert _png(out / "svmix_spatial.png") and _png(out / "svmix_temporal.png")
    assert not list(out.glob("*.gif"))
    assert _tool().main(["svmix", "--cfg", str(CONFIGS / "svmix_svit_tiny.yaml"), "--out", str(out),
                         "--videos", "0", *opts]) == 2  # one clip cannot be mixed

    from svit.engine.experiment import build_experiment

    exp = build_experiment(load_config(str(CONFIGS / "svmix_svit_tiny.yaml"), opts), "train")
    hook, teacher = svmix_parts(exp, None)
    x, labels, _ = load_batch(exp, [0, 1, 2], 0)
    for mode in ("spatial", "temporal"):
        torch.manual_seed(1)
        draw, mixed = mix_step(hook, teacher, x, labels, mode)
        assert draw.mode == mode
        m = mixed.source_online
        # the online mix is the clean clip blended with its partner by exactly the pictured mask
        want = x * (1 - m[:, None]) + x[draw.perm] * m[:, None]
        assert torch.allclose(mixed.x_online, want, atol=1e-6)
        red = overlay(np.zeros((*m.shape[2:], 3), np.uint8), m[0, 0].cpu().numpy(), (255, 0, 0), 1.0)
        assert abs(red[..., 0].mean() / 255 - float(m[0, 0].mean())) < 1 / 255
        if mode == "temporal":  # one weight per frame
            assert torch.allclose(m, m[..., :1, :1].expand_as(m))


def test_predict_pictures_views_and_svit_boxes(tiny_root, tmp_path):
    from svit.vis.drawing import SLOT_COLORS
    from svit.vis.predict_view import draw_predicted_boxes

    ckpt = _checkpoint("svit_tiny.yaml", tiny_root, tmp_path)
    out = tmp_path / "vis"
    assert _tool().main(["predict", "--cfg", str(CONFIGS / "svit_tiny.yaml"), "--checkpoint", ckpt, "--out", str(out),
                         "--index", "2", *tiny_overrides(tiny_root, tmp_path / "run")]) == 0
    assert len(list(out.glob("predict_*.png"))) == 1 and (out / "config.yaml").is_file()
    pred = torch.full((2, 4, 5), -6.0)  # (T_in, O, exist + cxcywh): only slot 2 of frame 0 exists
    pred[0, 2] = torch.tensor([6.0, 0.5, 0.5, 0.5, 0.5])
    frames = draw_predicted_boxes(np.zeros((2, 33, 33, 3), np.uint8), pred)
    assert tuple(frames[0, 8, 8]) == SLOT_COLORS[2] and tuple(frames[0, 24, 24]) == SLOT_COLORS[2]
    assert frames[1].max() == 0 and not np.all(frames[0] == SLOT_COLORS[0], axis=-1).any()


def test_predict_per_view_scores_and_ensemble(tiny_root, tmp_path):
    from svit.config import load_config
    from svit.models import build_model
    from svit.vis.predict_view import score_views

    cfg = load_config(str(CONFIGS / "tsm_tiny.yaml"), tiny_overrides(tiny_root, tmp_path) + ["TEST.ENSEMBLE_METHOD",
                                                                                             "mean"])
    net = build_model(cfg).eval()
    clips = torch.randn(3, 3, 4, 32, 32)
    s = score_views(cfg, net, clips)
    with torch.no_grad():
        one = [torch.softmax(net(clips[k:k + 1]), -1)[0].numpy() for k in range(3)]
    assert np.allclose(s.per_view, np.stack(one), atol=1e-5)
    assert np.allclose(s.ensemble, np.mean(one, 0), atol=1e-5)


@pytest.mark.parametrize("cfg_name, method", [("svit_tiny.yaml", "attention rollout"), ("tsm_tiny.yaml", "Grad-CAM")])
def test_attention_rollout_or_gradcam(tiny_root, tmp_path, cfg_name, method, monkeypatch):
    if method == "Grad-CAM":
        pytest.importorskip("pytorch_grad_cam")
    import svit.vis.attention_view as view

    seen = []
    real = view.heat_maps
    monkeypatch.setattr(view, "heat_maps", lambda *a: seen.append(real(*a)) or seen[-1])
    ckpt = _checkpoint(cfg_name, tiny_root, tmp_path)
    out = tmp_path / "vis"
    assert _tool().main(["attention", "--cfg", str(CONFIGS / cfg_name), "--checkpoint", ckpt, "--out", str(out),
                         "--animation", "none", *tiny_overrides(tiny_root, tmp_path / "run")]) == 0
    assert len(list(out.glob("attention_*.png"))) == 1
    maps, logits, what = seen[0]
    assert what.startswith(method) and maps.shape[0] == logits.shape[0] == 2  # 2 clips x 1 crop
    assert np.isfinite(maps).all() and (maps >= 0).all()


def test_predict_without_checkpoint_is_a_clear_error(tiny_root, tmp_path, capsys):
    assert _tool().main(["predict", "--cfg", str(CONFIGS / "svit_tiny.yaml"),
                         *tiny_overrides(tiny_root, tmp_path / "empty")]) == 2
    assert "pass --checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("command, cfg_name, videos", [("data", "svit_tiny.yaml", ["0", "9999"]),
                                                        ("svmix", "svmix_svit_tiny.yaml", ["0", "9999"])])
def test_video_outside_the_split_is_refused_before_anything_is_written(tiny_root, tmp_path, capsys, command,
                                                                       cfg_name, videos):
    out = tmp_path / "vis"
    assert _tool().main([command, "--cfg", str(CONFIGS / cfg_name), "--out", str(out), "--videos", *videos,
                         "--animation", "none", *tiny_overrides(tiny_root, tmp_path / "run")]) == 2
    assert "--videos 9999: the training split has" in capsys.readouterr().err
    assert not out.exists()  # not even the config.yaml of pictures that were never made


def test_index_outside_the_test_split_is_refused(tiny_root, tmp_path, capsys):
    ckpt = _checkpoint("svit_tiny.yaml", tiny_root, tmp_path)
    assert _tool().main(["predict", "--cfg", str(CONFIGS / "svit_tiny.yaml"), "--checkpoint", ckpt, "--out",
                         str(tmp_path / "vis"), "--index", "9999", *tiny_overrides(tiny_root, tmp_path / "run")]) == 2
    assert "--index 9999: the test split has" in capsys.readouterr().err
    assert not list(tmp_path.glob("vis/*.png"))


def test_predict_on_a_frame_folder_of_ones_own(tiny_root, tmp_path):
    ckpt = _checkpoint("tsm_tiny.yaml", tiny_root, tmp_path)
    folder = next(p for p in sorted((Path(tiny_root) / "frames").iterdir()) if p.is_dir())
    out = tmp_path / "vis"
    opts = tiny_overrides(tiny_root, tmp_path / "run")
    assert _tool().main(["predict", "--cfg", str(CONFIGS / "tsm_tiny.yaml"), "--checkpoint", ckpt, "--out", str(out),
                         "--input", str(folder), "--animation", "mp4", *opts]) == 0
    assert _png(out / f"predict_{folder.name}.png") and (out / f"predict_{folder.name}.mp4").stat().st_size > 0
    assert not (tmp_path / "run" / "config.yaml").exists()  # --input never writes into the run's folder
