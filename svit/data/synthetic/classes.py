"""The synthetic action classes and the object trajectories that define them.

Each class is an SSv2-style template and a function giving, for progress ``p`` in [0, 1], the centre
and size (fractions of the frame) of object 0 and, for two-object classes, object 1. A hand is drawn
holding object 0. Ten of the twelve classes come in pairs that differ **only in temporal order**
(left→right vs right→left, up vs down, towards vs away from the camera = growing vs shrinking, putting
on top vs taking off, closer vs apart), so a single frame cannot solve them; "Shaking" vs "Holding"
differ only by motion. Start/end points, sizes, timing, colours and shapes are random per video.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

# state = list of (cx, cy, w, h) per object, fractions of the frame side
Trajectory = Callable[[float], list[tuple[float, float, float, float]]]


@dataclass(frozen=True)
class SynthClass:
    template: str
    num_objects: int
    make: Callable[[np.random.Generator], Trajectory]


def _lerp(a: float, b: float, p: float) -> float:
    return a + (b - a) * p


def _glide(start: tuple[float, float], end: tuple[float, float], a: tuple[float, float], b: tuple[float, float],
           forward: bool, place: Callable[[float, float, float], tuple[float, float, float, float]]):
    """One object moving along one axis: draws the start and end values, then two fixed ones ``a``, ``b``
    (in this order: a seed must keep giving the same videos), swaps the ends unless ``forward``;
    ``place(value, a, b)`` is the object's ``(cx, cy, w, h)`` at a moving value."""
    def make(rng):
        v0, v1 = rng.uniform(*start), rng.uniform(*end)
        fixed_a, fixed_b = rng.uniform(*a), rng.uniform(*b)
        if not forward:
            v0, v1 = v1, v0
        return lambda p: [place(_lerp(v0, v1, p), fixed_a, fixed_b)]
    return make


def _horizontal(reverse: bool):
    return _glide((0.18, 0.3), (0.7, 0.82), (0.3, 0.6), (0.2, 0.28), not reverse, lambda x, y, s: (x, y, s, s))


def _vertical(up: bool):
    return _glide((0.68, 0.78), (0.2, 0.3), (0.25, 0.75), (0.2, 0.28), up, lambda y, x, s: (x, y, s, s))


def _depth(towards: bool):
    return _glide((0.1, 0.14), (0.38, 0.46), (0.4, 0.6), (0.35, 0.5), towards, lambda s, x, y: (x, y, s, s))


def _stack(put: bool):
    def make(rng):
        bx, bs = rng.uniform(0.35, 0.65), rng.uniform(0.26, 0.32)
        by = 0.88 - bs / 2
        a = rng.uniform(0.18, 0.22)
        top = (bx, by - bs / 2 - a / 2, a, a)
        side = rng.choice([0.15, 0.85])
        away = (float(side), rng.uniform(0.15, 0.3), a, a)
        start, end = (away, top) if put else (top, away)
        return lambda p: [tuple(_lerp(s, e, p) for s, e in zip(start, end)), (bx, by, bs, bs)]
    return make


def _pair(closer: bool):
    def make(rng):
        near, far = rng.uniform(0.12, 0.16), rng.uniform(0.32, 0.36)
        y, s = rng.uniform(0.3, 0.6), rng.uniform(0.18, 0.22)
        d0, d1 = (far, near) if closer else (near, far)
        return lambda p: [(0.5 - _lerp(d0, d1, p), y, s, s), (0.5 + _lerp(d0, d1, p), y, s, s)]
    return make


def _shake(rng):
    x, y, s = rng.uniform(0.35, 0.65), rng.uniform(0.3, 0.6), rng.uniform(0.2, 0.26)
    amp, cycles, phase = rng.uniform(0.12, 0.16), rng.uniform(2.0, 3.0), rng.uniform(0, 2 * np.pi)
    return lambda p: [(x + amp * np.sin(2 * np.pi * cycles * p + phase), y, s, s)]


def _hold(rng):
    x, y, s = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.6), rng.uniform(0.2, 0.28)
    return lambda p: [(x, y, s, s)]


CLASSES: tuple[SynthClass, ...] = (
    SynthClass("Moving [something] from left to right", 1, _horizontal(False)),
    SynthClass("Moving [something] from right to left", 1, _horizontal(True)),
    SynthClass("Moving [something] up", 1, _vertical(True)),
    SynthClass("Moving [something] down", 1, _vertical(False)),
    SynthClass("Moving [something] towards the camera", 1, _depth(True)),
    SynthClass("Moving [something] away from the camera", 1, _depth(False)),
    SynthClass("Putting [something] on top of [something]", 2, _stack(True)),
    SynthClass("Taking [something] off [something]", 2, _stack(False)),
    SynthClass("Moving [something] and [something] closer to each other", 2, _pair(True)),
    SynthClass("Moving [something] and [something] away from each other", 2, _pair(False)),
    SynthClass("Shaking [something]", 1, _shake),
    SynthClass("Holding [something]", 1, _hold),
)
