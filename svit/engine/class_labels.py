"""Class names as plot labels: short enough to read, never two alike.

SSv2 names run to 100 characters and some pairs share their first 70 ("Putting something that can't
roll onto a slanted surface, so it slides down / so it stays where it is"): cut at a fixed length
they would read the same, exactly in the pictures that exist to tell confused classes apart.
"""
from __future__ import annotations

from typing import Sequence

#: Longest tick label of the confusion picture; longer class names are shortened with an ellipsis.
MAX_LABEL = 40


def shorten(text: str, max_len: int = MAX_LABEL) -> str:
    """``text`` if it fits in ``max_len`` characters, else its beginning (without trailing spaces) and "…"."""
    return text if len(text) <= max_len else text[: max_len - 1].rstrip() + "…"


def tick_labels(names: Sequence[str], max_len: int = MAX_LABEL) -> list[str]:
    """Class names as tick labels: names over ``max_len`` characters are cut with "…", and when two
    labels would then read the same, every label gets its class index in front."""
    labels = [shorten(n, max_len) for n in names]
    if len(set(labels)) < len(labels):
        labels = [shorten(f"{i} {n}", max_len) for i, n in enumerate(names)]
    return labels
