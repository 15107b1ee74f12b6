"""The number of classes of a list-file dataset, and the check of every label against it.

A list file carries only class indices, so one mistyped label (99 among 0..11) would silently grow
the classifier. The rule (also in the comments of MODEL.NUM_CLASSES and LIST_DATA.NUM_CLASSES):

* LIST_DATA.NUM_CLASSES when set, else the number of LIST_DATA.CLASS_NAMES: the count is declared,
  and a list may leave classes out (a subset is legitimate).
* Otherwise the train list defines it as ``max(label) + 1`` — but only while the labels present
  leave no run of more than ``MAX_ABSENT_RUN`` class indices without a video: a longer run is how a
  typo looks, and is refused naming the file and line of the label above it (declare the count to
  accept it). Shorter runs are a WARNING naming the absent classes.
* A val or test list without a declared count does not define one: its labels must fit the model's
  MODEL.NUM_CLASSES (a subset of the classes is fine), and the dataset reports that count.

Every label must lie in ``0..count-1`` (-1 = unlabelled test entry); a label outside is an
``AnnotationError`` naming the file and line.
"""
from __future__ import annotations

import logging
from typing import Sequence

from svit.data.errors import AnnotationError
from svit.data.video_dataset import VideoRecord

logger = logging.getLogger(__name__)
MAX_ABSENT_RUN = 2  # consecutive class indices without a video that an inferred count tolerates


def _where(rec: VideoRecord) -> str:
    return f"line {rec.line} (video {rec.video_id})" if rec.line else f"video {rec.video_id}"


def _first_with(records: Sequence[VideoRecord], label: int) -> VideoRecord:
    return next(r for r in records if r.label == label)


def inferred_count(list_path: str, records: Sequence[VideoRecord]) -> int:
    """``max(label) + 1`` of a train list, refused when it jumps past the labels present (see above)."""
    present = sorted({r.label for r in records if r.label >= 0})
    if not present:
        raise AnnotationError(list_path, "the train list has no labelled entries to count the classes from")
    absent: list[int] = []
    previous = -1
    for label in present:
        run = label - previous - 1
        if run > MAX_ABSENT_RUN:
            raise AnnotationError(
                list_path,
                f"{_where(_first_with(records, label))}: label {label} would make {present[-1] + 1} classes, "
                f"but classes {previous + 1}..{label - 1} ({run} in a row) have no video in this list — a typo? "
                "If the list really leaves them out, declare the count with LIST_DATA.NUM_CLASSES "
                "(or LIST_DATA.CLASS_NAMES)",
            )
        absent.extend(range(previous + 1, label))
        previous = label
    if absent:
        shown = ", ".join(map(str, absent[:10])) + (" ..." if len(absent) > 10 else "")
        logger.warning(
            "%s: classes %s have no video; counting %d classes from the labels (declare LIST_DATA.NUM_CLASSES "
            "to make this explicit)",
            list_path,
            shown,
            present[-1] + 1,
        )
    return present[-1] + 1


def list_class_count(
    list_path: str,
    split: str,
    records: Sequence[VideoRecord],
    declared: int,
    names: list[str] | None,
    names_path: str,
    model_num_classes: int,
) -> tuple[int, str]:
    """``(count, where it comes from)`` of a list dataset; checks every label (see the module doc)."""
    bound_only = False
    if declared:
        count, source = declared, f"LIST_DATA.NUM_CLASSES {declared}"
        if names is not None and len(names) != count:
            raise AnnotationError(names_path, f"has {len(names)} names but LIST_DATA.NUM_CLASSES is {count}")
    elif names is not None:
        count, source = len(names), f"the {len(names)} class names of {names_path}"
    elif split == "train":
        count = inferred_count(list_path, records)
        source = f"the labels of {list_path} (0..{count - 1})"
    else:
        count, source, bound_only = int(model_num_classes), f"MODEL.NUM_CLASSES {model_num_classes}", True
    for r in records:
        if not -1 <= r.label < count:
            hint = (
                f"it does not fit MODEL.NUM_CLASSES {count} (declare LIST_DATA.NUM_CLASSES or "
                "LIST_DATA.CLASS_NAMES if the model should have more classes)"
                if bound_only
                else f"outside 0..{count - 1} ({source})"
            )
            raise AnnotationError(list_path, f"{_where(r)}: label {r.label} {hint}")
    return count, source
