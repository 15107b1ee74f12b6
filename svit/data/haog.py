"""Hand-object graph (HAOG) targets of one annotated frame (SViT, Ben Avraham et al., NeurIPS 2022;
github.com/eladb3/SViT; the original's target bugs fixed).

Slots are ``[hand0, hand1, object0, object1]`` (``boxes.assign_slots``). Hands are paired with
objects by comparing the straight pairing ``(h0,o0),(h1,o1)`` with the crossed one
``(h0,o1),(h1,o0)``: the pairing with more complete (hand and object present) pairs wins, ties are
broken by the smaller sum of normalised centre distances. This is what the original's "missing box
costs 1e8" intended, computed exactly (no float32 precision loss). Only the two *object* slots are
swapped. Contact state per hand: 3 ("portable object") when the hand touches its object, 0 when it
does not, -1 when the hand or its object is missing.
"""

from __future__ import annotations

import numpy as np

PORTABLE_OBJECT = 3
NO_CONTACT = 0
MISSING = -1


def centres(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Normalised centres ``(N, 2)`` of pixel x1y1x2y2 boxes."""
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2 / width, (boxes[:, 1] + boxes[:, 3]) / 2 / height], 1)


def _pairing_cost(c: np.ndarray, mask: np.ndarray, pairs: list[tuple[int, int]]) -> tuple[int, float]:
    complete = [(h, o) for h, o in pairs if mask[h] and mask[o]]
    dist = sum(float(np.linalg.norm(c[h] - c[o])) for h, o in complete)
    return (-len(complete), dist)


def pair_hands_objects(
    boxes: np.ndarray, mask: np.ndarray, width: float, height: float
) -> tuple[np.ndarray, np.ndarray]:
    """Returns the boxes/mask with the object slots 2 and 3 swapped when the crossed pairing wins."""
    c = centres(boxes, width, height)
    straight = _pairing_cost(c, mask, [(0, 2), (1, 3)])
    crossed = _pairing_cost(c, mask, [(0, 3), (1, 2)])
    if crossed < straight:
        order = [0, 1, 3, 2]
        return boxes[order].copy(), mask[order].copy()
    return boxes.copy(), mask.copy()


def boxes_touch(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two x1y1x2y2 boxes overlap with positive area."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    return iw > 0 and ih > 0


def contact_states(
    boxes: np.ndarray, mask: np.ndarray, width: float, height: float, rule: str = "overlap", distance: float = 0.1
) -> np.ndarray:
    """``(2,)`` int64 contact states of hands 0 and 1 with objects 2 and 3 (already paired)."""
    if rule not in ("overlap", "distance"):
        raise ValueError(f"SVIT.CONTACT_RULE must be 'overlap' or 'distance', got {rule!r}")
    c = centres(boxes, width, height)
    out = np.full(2, MISSING, np.int64)
    for h, o in ((0, 2), (1, 3)):
        if not (mask[h] and mask[o]):
            continue
        if rule == "overlap":
            touch = boxes_touch(boxes[h], boxes[o])
        else:
            touch = float(np.linalg.norm(c[h] - c[o])) < distance
        out[h] = PORTABLE_OBJECT if touch else NO_CONTACT
    return out
