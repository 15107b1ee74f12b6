"""Model EMA, batch hooks, parameter groups and their bad inputs (task contract v2)."""
from __future__ import annotations

import json
import logging
import os

import engine_toy  # noqa: F401  (registers toy parts and the toy hooks)
import pytest
import torch
import torch.nn as nn

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.config.errors import ConfigError
from svit.engine.ema import EmaStateError, ModelEma
from svit.engine.launch import launch_job
from svit.engine.lr_policy import set_lr
from svit.engine.optim import build_optimizer
from svit.run_folder import checkpoint_path


def run(tmp_path, name="out", **overrides):
    out = str(tmp_path / name)
    cfg = load_config(None, engine_toy.toy_opts(out, **overrides))
    launch_job(cfg, func=engine_toy.run_toy)
    return out


def tiny_bn_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


# ---------------------------------------------------------------------------------------------- EMA
def test_ema_update_by_hand_every_second_call_with_buffers():
    model = tiny_bn_model()
    ema = ModelEma(model, decay=0.75, update_buffers=True, update_period=2)
    assert all(not p.requires_grad for p in ema.module.parameters())
    assert ema.module[0].weight.data_ptr() != model[0].weight.data_ptr()  # a deep copy
    start = {k: v.clone() for k, v in ema.module.state_dict().items()}
    with torch.no_grad():
        model[0].weight.add_(1.0)
        model[0].bias.mul_(-2.0)
    model.train()
    model(torch.randn(8, 2))  # moves BN running stats and num_batches_tracked
    assert ema.update(model) is False  # 1st call: period 2, nothing averaged
    assert all(torch.equal(v, start[k]) for k, v in ema.module.state_dict().items())
    assert ema.update(model) is True
    online = model.state_dict()
    for k in ("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"):
        torch.testing.assert_close(ema.module.state_dict()[k], 0.75 * start[k] + 0.25 * online[k], rtol=0, atol=1e-7)
    assert int(ema.module[1].num_batches_tracked) == 1  # integer buffers are copied


def test_ema_without_buffer_averaging_leaves_buffers_alone():
    model = tiny_bn_model()
    ema = ModelEma(model, decay=0.5, update_buffers=False)
    model.train()
    model(torch.randn(8, 2))
    ema.update(model)
    assert torch.equal(ema.module[1].running_mean, torch.zeros(3))
    torch.testing.assert_close(ema.module[0].weight, model[0].weight)  # weights unchanged online: same


def test_ema_state_of_another_model_is_a_clear_error():
    ema = ModelEma(nn.Linear(2, 3), 0.9)
    other = ModelEma(nn.Linear(2, 4), 0.9)
    with pytest.raises(EmaStateError, match=r"run\.pyth.*weight: stored \(4, 2\) vs model \(3, 2\)"):
        ema.load_state_dict(other.state_dict(), source="run.pyth")
    with pytest.raises(EmaStateError, match="missing"):
        ema.load_state_dict({"module": {"weight": torch.zeros(3, 2)}}, source="run.pyth")


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5, -0.1])
def test_ema_decay_outside_open_interval_is_a_config_error(tmp_path, decay):
    with pytest.raises(ConfigError, match=r"MODEL_EMA.DECAY must be in \(0, 1\)"):
        run(tmp_path, **{"MODEL_EMA.ENABLE": True, "MODEL_EMA.DECAY": decay})
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_resume_with_mismatching_ema_state_fails_before_training(tmp_path, capsys):
    common = {"MODEL_EMA.ENABLE": True, "TRAIN.EVAL_PERIOD": 0, "TEST.ENABLE": False}
    out = run(tmp_path, **common)
    os.remove(checkpoint_path(out, 2))
    ck = read_checkpoint(checkpoint_path(out, 1))
    ck["ema_state"]["module"]["head.weight"] = torch.zeros(5, 12)
    torch.save(ck, checkpoint_path(out, 1))
    with pytest.raises(EmaStateError, match=r"checkpoint_epoch_00001\.pyth.*head\.weight"):
        run(tmp_path, **common)
    assert not os.path.exists(checkpoint_path(out, 2))
    # from the command line: one message, no traceback
    from svit.engine.launch import EXIT_RUN, main

    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    assert main(["--cfg", str(cfg_file), *engine_toy.toy_opts(out, **common)]) == EXIT_RUN
    err = capsys.readouterr().err
    assert "stored EMA model does not match" in err and "Traceback" not in err


def test_validation_and_test_report_online_and_ema(tmp_path):
    out = run(tmp_path, **{"MODEL_EMA.ENABLE": True, "MODEL_EMA.DECAY": 0.5, "MODEL_EMA.EVAL_MODEL": "ema"})
    res = json.load(open(os.path.join(out, "test_results.json")))
    assert res["evaluated_model"] == "ema"
    assert set(res["online"]) == set(res["ema"]) == {"top1", "top5", "mean_class_accuracy"}
    assert res["top1"] == res["ema"]["top1"] and res["mean_class_accuracy"] == res["ema"]["mean_class_accuracy"]
    val = [json.loads(x) for x in open(os.path.join(out, "stats.jsonl"))]
    val = [r for r in val if r["_type"] == "val_epoch"]
    assert len(val) == 2 and {"top1", "ema_top1", "ema_loss"} <= set(val[0])
    assert any(r["loss"] != r["ema_loss"] for r in val)
    # test-only run of the same checkpoint: both models again, the EMA from the file's ema_state
    ck = checkpoint_path(out, 2)
    out2 = run(tmp_path, "test_only", **{"TRAIN.ENABLE": False, "TEST.CHECKPOINT_FILE_PATH": ck,
                                         "MODEL_EMA.ENABLE": True, "MODEL_EMA.EVAL_MODEL": "online"})
    res2 = json.load(open(os.path.join(out2, "test_results.json")))
    assert res2["evaluated_model"] == "online" and res2["top1"] == res2["online"]["top1"]
    assert res2["ema"] == res["ema"] and res2["online"] == res["online"]


def test_testing_the_ema_of_a_checkpoint_without_one_fails(tmp_path):
    out = run(tmp_path, **{"SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0})
    with pytest.raises(EmaStateError, match="no 'ema_state'"):
        run(tmp_path, "t", **{"TRAIN.ENABLE": False, "TEST.CHECKPOINT_FILE_PATH": checkpoint_path(out, 1),
                              "MODEL_EMA.ENABLE": True, "MODEL_EMA.EVAL_MODEL": "ema"})


# -------------------------------------------------------------------------------------------- hooks
def test_unknown_hook_name_is_a_config_error_before_training(tmp_path):
    with pytest.raises(ConfigError, match=r"TRAIN.HOOKS 'toy_gat'.*Did you mean: toy_gate"):
        run(tmp_path, **{"TRAIN.HOOKS": "['toy_gat']"})
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_hook_terms_are_logged_and_grouped_hook_joins_main_optimiser(tmp_path):
    out = run(tmp_path, **{"TRAIN.HOOKS": "['toy_gate_grouped']", "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0,
                           "SOLVER.MAX_EPOCH": 1})
    stats = [json.loads(x) for x in open(os.path.join(out, "stats.jsonl"))]
    iters = [s for s in stats if s["_type"] == "train_iter"]
    assert all("loss_gate_reg" in s and "loss_cls" in s for s in iters)
    assert all(s["loss"] == pytest.approx(s["loss_cls"] + s["loss_gate_reg"]) for s in iters)
    ck = read_checkpoint(checkpoint_path(out, 1))
    groups = [g["name"] for g in ck["optimizer_state"]["param_groups"]]
    assert groups[-1] == "toy_gain" and ck["optimizer_state"]["param_groups"][-1]["lr_scale"] == 0.5
    assert ck["hook_state"]["toy_gate_grouped"]["optimizer"] is None
    assert ck["hook_state"]["toy_gate_grouped"]["state"] == {"after_calls": 3}


# ------------------------------------------------------------------------------------- param groups
class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(2, 2, 1)
        self.bn = nn.BatchNorm1d(2)
        self.fc = nn.Linear(2, 3)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).mean(-1))


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_param_group_multipliers_reach_the_optimiser():
    rules = r"[['fc[.]weight', 5.0, 1.0], ['fc[.]bias', 10.0, 0.0], ['[.]bias$', 2.0, 0.0]]"
    cfg = load_config(None, ["SOLVER.PARAM_GROUPS", rules, "SOLVER.WEIGHT_DECAY", "0.01", "BN.WEIGHT_DECAY", "0.001",
                             "SOLVER.MOMENTUM", "0.0", "SOLVER.NESTEROV", "False"])
    net = Net()
    log, lines = logging.getLogger("svit.optim"), _Lines()
    log.addHandler(lines)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        opt = build_optimizer(cfg, net)
    finally:
        log.removeHandler(lines)
        log.setLevel(old_level)
    set_lr(opt, 0.1)
    by_param = {id(p): g for g in opt.param_groups for p in g["params"]}
    expect = {  # name: (lr, weight decay); first matching rule wins (fc.bias: x10, not x2)
        "fc.weight": (0.5, 0.01), "fc.bias": (1.0, 0.0), "conv.bias": (0.2, 0.0),
        "conv.weight": (0.1, 0.01), "bn.weight": (0.1, 0.001), "bn.bias": (0.2, 0.0),
    }
    for name, p in net.named_parameters():
        g = by_param[id(p)]
        assert (g["lr"], g["weight_decay"]) == pytest.approx(expect[name]), name
    assert sum("Param group" in x for x in lines.lines) == len(opt.param_groups) == 6  # logged once each
    # the multiplier is what the step applies: plain SGD moves fc.weight by lr x 5 x grad (+ decay)
    before = net.fc.weight.detach().clone()
    net(torch.randn(4, 2, 3)).sum().backward()
    grad = net.fc.weight.grad.clone()
    opt.step()
    torch.testing.assert_close(net.fc.weight.detach(), before - 0.5 * (grad + 0.01 * before))


def test_zero_lr_group_freezes_its_parameters_in_a_run(tmp_path):
    out = run(tmp_path, **{"SOLVER.PARAM_GROUPS": "[['head[.]bias', 0.0, 1.0]]", "SOLVER.MAX_EPOCH": 1,
                           "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0})
    w = read_checkpoint(checkpoint_path(out, 1))["model_state"]
    cfg = load_config(None, engine_toy.toy_opts(str(tmp_path / "x")))
    torch.manual_seed(cfg.RNG_SEED)
    init = engine_toy.TinyLinear(cfg)
    assert torch.equal(w["head.bias"], init.head.bias.detach())
    assert not torch.equal(w["head.weight"], init.head.weight.detach())


def test_param_group_pattern_matching_nothing_fails_before_training(tmp_path):
    with pytest.raises(ConfigError, match=r"SOLVER.PARAM_GROUPS pattern\(s\) \['backbone'\] match no"):
        run(tmp_path, **{"SOLVER.PARAM_GROUPS": "[['head', 2.0, 1.0], ['backbone', 2.0, 1.0]]"})
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_two_process_run_with_ema_hook_and_task_modules_matches_one_process(tmp_path):
    """Hook- and task-owned parameters live outside DDP; their gradients are averaged by the engine."""
    ck = {}
    for procs in (1, 2):
        out = str(tmp_path / f"p{procs}")
        opts = engine_toy.toy_opts(out, NUM_CPU_PROCS=procs, **{
            "SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0, "MODEL_EMA.ENABLE": True,
            "MODEL_EMA.DECAY": 0.5, "TRAIN.HOOKS": "['toy_gate']", "TRAIN.TASK": "toy_aux"})
        launch_job(load_config(None, opts), init_method=f"file://{tmp_path}/rdzv{procs}", func=engine_toy.run_toy)
        ck[procs] = read_checkpoint(checkpoint_path(out, 1))
    pairs = [
        (ck[1]["model_state"], ck[2]["model_state"]),
        (ck[1]["ema_state"]["module"], ck[2]["ema_state"]["module"]),
        (ck[1]["hook_state"]["toy_gate"]["modules"]["gain"], ck[2]["hook_state"]["toy_gate"]["modules"]["gain"]),
        (ck[1]["task_modules"]["modules"]["aux"], ck[2]["task_modules"]["modules"]["aux"]),
    ]
    for a, b in pairs:
        for k in a:
            torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    assert ck[2]["hook_state"]["toy_gate"]["state"] == {"after_calls": 3}


def test_ema_update_is_bit_identical_to_the_per_tensor_formula():
    """The multi-tensor update computes e*d + o*(1-d) exactly as e.mul_(d).add_(o, alpha=1-d) per tensor."""
    import copy

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.Linear(7, 3))
    ema = ModelEma(model, decay=0.9, update_buffers=True, update_period=1)
    ref = copy.deepcopy(ema.module)
    for _ in range(3):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
            model[1].running_mean.add_(1.0)
            model[1].num_batches_tracked.add_(1)
        ema.update(model)
        with torch.no_grad():
            online = {**dict(model.named_parameters()), **dict(model.named_buffers())}
            for name, e in [*ref.named_parameters(), *ref.named_buffers()]:
                if e.is_floating_point():
                    e.mul_(0.9).add_(online[name], alpha=0.1)
                else:
                    e.copy_(online[name])
    for k, v in ref.state_dict().items():
        assert torch.equal(ema.module.state_dict()[k], v), k
