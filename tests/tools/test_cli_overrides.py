"""Positional ``KEY VALUE`` overrides stand anywhere on a tool's command line (issue 19, newcomer item):
before, between or after the options, without swallowing the options after them (predict.py said
"required: --checkpoint, --input", export.py "invalid choice") nor being swallowed by a list option."""
from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

from svit.utils.cli import add_cfg_args, add_json_arg, parse_known, split_overrides

REPO = Path(__file__).resolve().parents[2]


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", REPO / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_predict_overrides_before_and_between_options():
    predict = load_tool("predict")
    args = predict.parse_args(["--cfg", "c.yaml", "DATA.NUM_FRAMES", "8", "--checkpoint", "k.pyth",
                               "--input", "a.webm", "b.webm", "TEST.NUM_SPATIAL_CROPS", "1", "--topk", "3",
                               "OUTPUT_DIR", "out", "--opts", "MODEL.NUM_CLASSES", "5"])
    assert args.cfg == "c.yaml" and args.checkpoint == "k.pyth" and args.topk == 3
    assert args.input == ["a.webm", "b.webm"]  # the list option did not take the pair after it
    assert args.opts == ["DATA.NUM_FRAMES", "8", "TEST.NUM_SPATIAL_CROPS", "1", "OUTPUT_DIR", "out",
                         "MODEL.NUM_CLASSES", "5"]


def test_export_overrides_before_options():
    export = load_tool("export")
    args = parse_known(export.build_parser(), ["--cfg", "c.yaml", "DATA.NUM_FRAMES", "8", "--formats", "torchscript",
                                               "MODEL.NUM_CLASSES", "5", "--out", "d", "--name", "MODEL.X"])
    assert args.formats == ["torchscript"] and args.out == "d"
    assert args.name == "MODEL.X"  # the value of a one-value option is never a key
    assert args.opts == ["DATA.NUM_FRAMES", "8", "MODEL.NUM_CLASSES", "5"]


def test_benchmark_list_options_and_overrides():
    benchmark = load_tool("benchmark")
    args = parse_known(benchmark.build_parser(), ["bound", "--cfg", "a.yaml", "b.yaml", "DATA.NUM_FRAMES", "4",
                                                  "--workers-per-gpu", "1", "2", "--json"])
    assert args.cfg == ["a.yaml", "b.yaml"] and args.workers_per_gpu == [1, 2] and args.json == "-"
    assert args.opts == ["DATA.NUM_FRAMES", "4"]
    args = parse_known(benchmark.build_parser(), ["model", "--cfg", "a.yaml", "--modes", "eval", "MVIT.DEPTH", "3",
                                                  "--device", "cpu", "--opts", "DATA.NUM_FRAMES", "4"])
    assert args.modes == ["eval"] and args.device == "cpu"
    assert args.opts == ["MVIT.DEPTH", "3", "DATA.NUM_FRAMES", "4"]


def test_run_net_and_model_info_overrides_anywhere():
    from svit.engine.launch_args import parse_args

    args = parse_args(["TRAIN.ENABLE", "False", "--cfg", "c.yaml", "OUTPUT_DIR", "runs/x", "--num_shards", "2"])
    assert args.cfg_file == "c.yaml" and args.opts == ["TRAIN.ENABLE", "False", "OUTPUT_DIR", "runs/x",
                                                       "NUM_SHARDS", "2"]
    model_info = load_tool("model_info")
    args = parse_known(model_info.build_parser(), ["DATA.NUM_FRAMES", "8", "--json", "--cfg", "c.yaml"])
    assert args.cfg == "c.yaml" and args.json == "-" and args.opts == ["DATA.NUM_FRAMES", "8"]


def test_existing_file_named_like_a_key_is_an_argument(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "CLIP.MP4").write_bytes(b"")
    predict = load_tool("predict")
    args = predict.parse_args(["--cfg", "c.yaml", "--checkpoint", "k", "--input", "CLIP.MP4", "DATA.NUM_FRAMES", "8"])
    assert args.input == ["CLIP.MP4"] and args.opts == ["DATA.NUM_FRAMES", "8"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tool")
    add_json_arg(p)
    add_cfg_args(p)
    return p


def test_stray_argument_says_where_overrides_go(capsys):
    with pytest.raises(SystemExit) as exc:
        parse_known(_parser(), ["--cfg", "c.yaml", "data.num_frames", "8"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "data.num_frames" in err and "KEY VALUE pairs with an upper-case KEY" in err


def test_key_without_value_is_named(capsys):
    with pytest.raises(SystemExit):
        parse_known(_parser(), ["--cfg", "c.yaml", "DATA.NUM_FRAMES"])
    assert "config override DATA.NUM_FRAMES has no value" in capsys.readouterr().err


def test_split_keeps_order_and_opts_last():
    rest, opts = split_overrides(_parser(), ["--opts", "A.B", "1", "--cfg", "c", "C.D", "-1", "NUM_GPUS", "0"])
    assert rest == ["--cfg", "c"]
    assert opts == ["C.D", "-1", "NUM_GPUS", "0", "A.B", "1"]  # negative values stay values
