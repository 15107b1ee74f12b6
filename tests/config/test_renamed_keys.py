"""Keys renamed so that one idea has one name in every family (``svit/config/legacy.py``
RENAMED_KEYS: ``*.DROPPATH_RATE``, ``UNIFORMER.DEPTHS``, ``SIDE4VIDEO.DEPTH``) still load under their
old names: from a yaml file, from the command line, and from the config a checkpoint stored before
the rename. Old and new name with different values in one place is an error, not a silent last-wins.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest
import torch
import yaml

from svit.checkpoint import resume_from, save_checkpoint
from svit.config import ConfigError, LegacyConfigWarning, get_cfg, load_config
from svit.config.legacy import RENAMED_KEYS, rename_flat
from svit.engine.launch_args import parse_args
from svit.engine.resume_check import ResumeConfigError, check_restart, check_resume, compare_configs
from svit.models import build_model
from svit.run_folder import CONFIG_FILE, STATS_FILE

# old key -> (new key, a value other than the default, the model that reads the section)
RENAMES = {
    "SWIN.DROP_PATH_RATE": ("SWIN.DROPPATH_RATE", 0.35, "VideoSwin"),
    "VIVIT.DROP_PATH_RATE": ("VIVIT.DROPPATH_RATE", 0.35, "ViViT"),
    "UNIFORMER.DROP_PATH_RATE": ("UNIFORMER.DROPPATH_RATE", 0.35, "UniFormer"),
    "UNIFORMER.DEPTH": ("UNIFORMER.DEPTHS", [1, 2, 3, 4], "UniFormer"),
    "SIDE4VIDEO.LAYERS": ("SIDE4VIDEO.DEPTH", 5, "Side4Video"),
}


def _yaml(path: Path, key: str, value) -> Path:
    section, leaf = key.split(".")
    path.write_text(yaml.safe_dump({section: {leaf: value}}))
    return path


def _load(cfg_file: str | None, opts: list | None = None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = load_config(cfg_file, opts)
    return cfg, [str(w.message) for w in caught if issubclass(w.category, LegacyConfigWarning)]


def _get(cfg, key: str):
    section, leaf = key.split(".")
    return cfg[section][leaf]


def test_every_rename_is_listed_and_points_at_a_live_key():
    cfg = get_cfg()
    for old, (new, value, _) in RENAMES.items():
        assert RENAMED_KEYS[old] == (new,)
        section, leaf = old.split(".")
        assert leaf not in cfg[section], f"{old} is still a key: the alias would shadow it"
        assert _get(cfg, new) != value  # the tests below set a value the defaults do not have


@pytest.mark.parametrize("old", sorted(RENAMES))
def test_old_name_in_a_yaml_loads_like_the_new_name_with_one_deprecation_warning(tmp_path, old):
    new, value, _ = RENAMES[old]
    cfg_old, warned = _load(str(_yaml(tmp_path / "old.yaml", old, value)))
    cfg_new, warned_new = _load(str(_yaml(tmp_path / "new.yaml", new, value)))
    assert _get(cfg_old, new) == value
    assert cfg_old.dump() == cfg_new.dump()
    assert warned_new == []
    assert len(warned) == 1 and f"deprecated {old} -> {new}" in warned[0], warned


def test_several_old_names_give_one_warning_listing_each(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("SWIN:\n  DROP_PATH_RATE: 0.3\nUNIFORMER:\n  DEPTH: [1, 2, 3, 4]\n  DROP_PATH_RATE: 0.25\n")
    cfg, warned = _load(str(path))
    assert (cfg.SWIN.DROPPATH_RATE, cfg.UNIFORMER.DEPTHS, cfg.UNIFORMER.DROPPATH_RATE) == (0.3, [1, 2, 3, 4], 0.25)
    assert len(warned) == 1
    for old in ("SWIN.DROP_PATH_RATE", "UNIFORMER.DEPTH", "UNIFORMER.DROP_PATH_RATE"):
        assert f"deprecated {old} -> {RENAMED_KEYS[old][0]}" in warned[0]


def test_old_and_new_name_with_different_values_is_an_error_naming_both(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text("SWIN:\n  DROPPATH_RATE: 0.3\n  DROP_PATH_RATE: 0.2\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    msg = str(err.value)
    assert "'SWIN.DROP_PATH_RATE'" in msg and "'SWIN.DROPPATH_RATE'" in msg and str(path) in msg, msg
    with pytest.raises(ConfigError, match="UNIFORMER.DEPTH' .*UNIFORMER.DEPTHS"):  # on the command line too
        load_config(None, ["UNIFORMER.DEPTH", "[1, 1, 1, 1]", "UNIFORMER.DEPTHS", "[2, 2, 2, 2]"])
    path.write_text("SWIN:\n  DROPPATH_RATE: 0.3\n  DROP_PATH_RATE: 0.3\n")  # the same value: no conflict
    assert _load(str(path))[0].SWIN.DROPPATH_RATE == 0.3


def test_a_later_source_overrides_an_old_name_under_either_name(tmp_path):
    path = _yaml(tmp_path / "old.yaml", "SWIN.DROP_PATH_RATE", 0.1)
    assert _load(str(path), ["SWIN.DROPPATH_RATE", "0.4"])[0].SWIN.DROPPATH_RATE == 0.4
    path = _yaml(tmp_path / "new.yaml", "SWIN.DROPPATH_RATE", 0.1)
    assert _load(str(path), ["SWIN.DROP_PATH_RATE", "0.4"])[0].SWIN.DROPPATH_RATE == 0.4


def test_old_names_on_the_run_net_command_line_and_in_opts(tmp_path):
    path = _yaml(tmp_path / "new.yaml", "SWIN.DROPPATH_RATE", 0.1)
    args = parse_args(["--cfg", str(path), "SWIN.DROP_PATH_RATE", "0.3",
                       "--opts", "SIDE4VIDEO.LAYERS", "5", "UNIFORMER.DEPTH", "[1, 2, 3, 4]"])
    cfg, warned = _load(args.cfg_file, args.opts)
    assert (cfg.SWIN.DROPPATH_RATE, cfg.SIDE4VIDEO.DEPTH, cfg.UNIFORMER.DEPTHS) == (0.3, 5, [1, 2, 3, 4])
    assert len(warned) == 1 and "deprecated SIDE4VIDEO.LAYERS -> SIDE4VIDEO.DEPTH" in warned[0]


def _with_old_names(cfg_yaml: str) -> str:
    """A stored config as a checkpoint written before the renames holds it."""
    tree = yaml.safe_load(cfg_yaml)
    for old, new in RENAMED_KEYS.items():
        (section, leaf), (old_section, old_leaf) = new[0].split("."), old.split(".")
        if old in RENAMES and leaf in tree.get(section, {}):
            tree[old_section][old_leaf] = tree[section].pop(leaf)
    return yaml.safe_dump(tree)


@pytest.mark.parametrize("old", sorted(RENAMES))
def test_stored_config_with_an_old_name_compares_equal(old):
    new, value, model = RENAMES[old]
    cfg = load_config(None, ["MODEL.MODEL_NAME", model, new, str(value)])
    stored = _with_old_names(cfg.dump())
    assert old.split(".")[1] in yaml.safe_load(stored)[old.split(".")[0]]
    assert compare_configs(stored, cfg) == ([], [])
    assert rename_flat({old: value})[new] == value


def _tiny_uniformer(tmp_path: Path):
    return load_config(None, ["MODEL.MODEL_NAME", "UniFormer", "MODEL.NUM_CLASSES", "3", "DATA.NUM_FRAMES", "4",
                              "DATA.TRAIN_CROP_SIZE", "64", "DATA.TEST_CROP_SIZE", "64", "UNIFORMER.DEPTHS",
                              "[1, 1, 1, 1]", "UNIFORMER.EMBED_DIM", "[16, 32, 64, 64]", "UNIFORMER.HEAD_DIM", "32",
                              "UNIFORMER.DROPPATH_RATE", "0.1", "OUTPUT_DIR", str(tmp_path)])


def test_checkpoint_written_before_the_rename_resumes(tmp_path, caplog):
    cfg = _tiny_uniformer(tmp_path)
    torch.manual_seed(0)
    model = build_model(cfg)
    path = save_checkpoint(str(tmp_path / "old.pyth"), model, epoch=1, cfg_yaml=_with_old_names(cfg.dump()))
    assert "DEPTH:" in torch.load(path, weights_only=True)["cfg"]
    with caplog.at_level(logging.WARNING, logger="svit.resume_check"):
        check_resume(cfg, path)  # UNIFORMER.DEPTH absent -> an architectural difference, were it not renamed
    assert "changed config" not in caplog.text
    fresh = build_model(cfg)
    assert resume_from(path, fresh)["epoch"] == 1
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), fresh.state_dict().values()))

    other = cfg.clone()
    other.defrost()
    other.UNIFORMER.DEPTHS = [1, 1, 2, 1]  # a real difference, stored under the old name, is still refused
    with pytest.raises(ResumeConfigError, match=r"UNIFORMER.DEPTHS: \[1, 1, 1, 1\] -> \[1, 1, 2, 1\]"):
        check_resume(other, path)


def test_run_folder_config_written_before_the_rename_restarts(tmp_path):
    cfg = _tiny_uniformer(tmp_path)
    (tmp_path / STATS_FILE).write_text("{}\n")
    (tmp_path / CONFIG_FILE).write_text(_with_old_names(cfg.dump()))
    check_restart(cfg)  # no OutputDirError: the saved UNIFORMER.DEPTH is read as UNIFORMER.DEPTHS
