"""SSv2 label map and split lists (the files of the official Something-Something v2 release; layout in README.md).

* Label map: JSON object ``{template: "index"}`` (index as a string in the official file; ints are
  accepted). Templates are stored without square brackets.
* Split list: JSON array of ``{"id", "label", "template", "placeholders"}``; the class is
  ``label_map[template.replace("[", "").replace("]", "")]``.
Every problem raises ``AnnotationError`` naming the file (and the video id for list entries).
"""
from __future__ import annotations

import json
import re

from svit.data.errors import AnnotationError


def _load_json(path: str, what: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise AnnotationError(path, f"{what} not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(path, f"{what} is not valid JSON: {exc}") from None


def load_video_id_list(path: str, what: str = "list of video ids") -> set[str]:
    """A JSON array of video ids (e.g. SViT's empty_bbox_*.json, an image subset) as strings."""
    ids = _load_json(path, what)
    if not isinstance(ids, list):
        raise AnnotationError(path, f"{what}: expected a JSON array of video ids")
    return {str(i) for i in ids}


def clean_template(template: str) -> str:
    """``"Moving [something] up"`` → ``"Moving something up"``."""
    return template.replace("[", "").replace("]", "")


def load_label_map(path: str) -> dict[str, int]:
    """Template → class index; checks that indices are integers forming ``0..K-1``."""
    data = _load_json(path, "label map")
    if not isinstance(data, dict) or not data:
        raise AnnotationError(path, "label map must be a non-empty JSON object {template: index}")
    out: dict[str, int] = {}
    for tmpl, idx in data.items():
        try:
            out[clean_template(tmpl)] = int(idx)
        except (TypeError, ValueError):
            raise AnnotationError(path, f"label map entry {tmpl!r} has a non-integer index {idx!r}") from None
    if sorted(out.values()) != list(range(len(out))):
        raise AnnotationError(path, f"label map indices must be 0..{len(out) - 1} without gaps or repeats")
    return out


def class_names_from_map(label_map: dict[str, int]) -> list[str]:
    """Class names ordered by index."""
    names = [""] * len(label_map)
    for tmpl, idx in label_map.items():
        names[idx] = tmpl
    return names


def load_split_list(path: str, label_map: dict[str, int], require_labels: bool = True) -> list[tuple[str, int]]:
    """``[(video_id, class_index)]`` of a split list (class -1 when the entry has no template and
    ``require_labels`` is False, e.g. the unlabelled SSv2 test list)."""
    data = _load_json(path, "split list")
    if not isinstance(data, list):
        raise AnnotationError(path, "split list must be a JSON array of records")
    out = []
    seen: set[str] = set()
    for pos, rec in enumerate(data):
        if not isinstance(rec, dict) or "id" not in rec:
            raise AnnotationError(path, f"entry {pos} is not a record with an 'id' field")
        vid = str(rec["id"])
        if vid in seen:
            raise AnnotationError(path, "video id listed twice", vid)
        seen.add(vid)
        if "template" not in rec:
            if require_labels:
                raise AnnotationError(path, "entry has no 'template' field", vid)
            out.append((vid, -1))
            continue
        tmpl = clean_template(str(rec["template"]))
        if tmpl not in label_map:
            raise AnnotationError(path, f"template {tmpl!r} is not in the label map", vid)
        out.append((vid, label_map[tmpl]))
    return out


_LR = re.compile(r"\b(left|right)\b")


def left_right_swap_pairs(class_names: list[str]) -> dict[int, int]:
    """Classes that a horizontal flip turns into each other, found by exchanging the words "left"
    and "right" in the class text (SSv2: "Pushing something from left to right" ↔ "... right to
    left", "Turning the camera left ..." ↔ "... right ..."; 86↔87, 93↔94, 166↔167 in the official
    map). Returned as a symmetric dict."""
    index = {name: i for i, name in enumerate(class_names)}
    swap: dict[int, int] = {}
    for name, i in index.items():
        mirrored = _LR.sub(lambda m: "right" if m.group(1) == "left" else "left", name)
        j = index.get(mirrored)
        if j is not None and j != i:
            swap[i] = j
    return swap


def pairs_to_swap(pairs) -> dict[int, int]:
    """``[[a, b], ...]`` (config) → symmetric swap dict; raises on malformed pairs."""
    swap: dict[int, int] = {}
    for p in pairs:
        if len(p) != 2:
            raise ValueError(f"flip swap pairs must be [a, b] pairs, got {p!r}")
        a, b = int(p[0]), int(p[1])
        swap[a], swap[b] = b, a
    return swap
