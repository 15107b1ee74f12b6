"""How a dataset settles MODEL.NUM_CLASSES (issue 19 item 1): a label typo is an error naming the
list file and line, and a config value that disagrees with the dataset is never replaced silently."""

import logging

import cv2
import numpy as np
import pytest

from svit.data.errors import AnnotationError
from svit.data.sources.list_files import tsn_list
from svit.engine.experiment import settle_num_classes
from tests.data.conftest import make_cfg

pytestmark = pytest.mark.usefixtures("svit_logs")


@pytest.fixture
def tree(tmp_path):
    """One frame folder ``v`` of 4 frames; list lines all point at it (labels are what is tested)."""
    d = tmp_path / "frames" / "v"
    d.mkdir(parents=True)
    for k in range(1, 5):
        cv2.imwrite(str(d / f"{k:04d}.jpg"), np.zeros((8, 8, 3), np.uint8))
    return tmp_path


def _write_list(root, name, labels):
    (root / name).write_text("".join(f"v 4 {lab}\n" for lab in labels))


def _cfg(root, **kw):
    base = dict(DATA__PATH_PREFIX=str(root / "frames"), AUG__ENABLE=False, LIST_DATA__TRAIN_LIST="train.txt")
    base.update(kw)
    return make_cfg(root, **base)


def test_label_typo_without_class_names_is_an_error_naming_file_and_line(tree):
    _write_list(tree, "train.txt", [*range(12), 99, 3])  # 12 real classes, one typo on line 13
    with pytest.raises(AnnotationError) as e:
        tsn_list(_cfg(tree), "train")
    msg = str(e.value)
    assert "train.txt" in msg and "line 13" in msg and "99" in msg and "LIST_DATA.NUM_CLASSES" in msg


def test_declared_count_accepts_a_subset_with_absent_classes(tree):
    _write_list(tree, "train.txt", [*range(12), 99])
    ds = tsn_list(_cfg(tree, LIST_DATA__NUM_CLASSES=100), "train")
    assert ds.num_classes == 100


def test_one_absent_class_is_a_warning_not_an_error(tree, caplog):
    _write_list(tree, "train.txt", [0, 1, 2, 4, 5])
    with caplog.at_level(logging.WARNING):
        ds = tsn_list(_cfg(tree), "train")
    assert ds.num_classes == 6
    assert any("3" in r.getMessage() and "no video" in r.getMessage() for r in caplog.records)


def test_label_outside_class_names_names_the_line(tree):
    _write_list(tree, "train.txt", [0, 1, 2, 5, 1])
    (tree / "names.txt").write_text("a\nb\nc\n")
    with pytest.raises(AnnotationError) as e:
        tsn_list(_cfg(tree, LIST_DATA__CLASS_NAMES="names.txt"), "train")
    assert "line 4" in str(e.value) and "train.txt" in str(e.value) and "5" in str(e.value)


def test_val_and_test_lists_without_declared_count_keep_the_model_count(tree):
    _write_list(tree, "val.txt", [0, 3, 1])  # a subset of the model's 12 classes
    cfg = _cfg(tree, LIST_DATA__VAL_LIST="val.txt", MODEL__NUM_CLASSES=12)
    assert tsn_list(cfg, "val").num_classes == 12
    (tree / "test.txt").write_text("v 4\nv 4\n")  # unlabelled test list
    assert tsn_list(_cfg(tree, LIST_DATA__TEST_LIST="test.txt", MODEL__NUM_CLASSES=12), "test").num_classes == 12


def test_val_label_beyond_the_model_head_is_an_error(tree):
    _write_list(tree, "val.txt", [0, 3, 12])
    with pytest.raises(AnnotationError) as e:
        tsn_list(_cfg(tree, LIST_DATA__VAL_LIST="val.txt", MODEL__NUM_CLASSES=12), "val")
    assert "line 3" in str(e.value) and "12" in str(e.value) and "MODEL.NUM_CLASSES" in str(e.value)


def test_config_count_that_disagrees_with_the_dataset_is_a_warning_naming_both(tree, caplog):
    _write_list(tree, "train.txt", range(12))
    cfg = _cfg(tree, MODEL__NUM_CLASSES=20)
    ds = tsn_list(cfg, "train")
    with caplog.at_level(logging.INFO):
        settle_num_classes(cfg, ds.num_classes, ds.split_info.get("num_classes_from", "the list"))
    assert cfg.MODEL.NUM_CLASSES == 12
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "20" in warned[0] and "12" in warned[0] and "train.txt" in warned[0]


def test_agreeing_count_is_quiet(tree, caplog):
    _write_list(tree, "train.txt", range(12))
    cfg = _cfg(tree, MODEL__NUM_CLASSES=12)
    ds = tsn_list(cfg, "train")
    with caplog.at_level(logging.WARNING):
        settle_num_classes(cfg, ds.num_classes, ds.split_info.get("num_classes_from", "the list"))
    assert cfg.MODEL.NUM_CLASSES == 12 and not [r for r in caplog.records if r.levelno >= logging.WARNING]
