"""Class names as plot labels: short enough to read, never two alike.

SSv2 names run to 100 characters and some pairs share their first 70 ("Putting something that can't
roll onto a slanted surface, so it slides down / so it stays where it is"): cut at a fixed length
they would read the same, exactly in the pictures that exist to tell confused classes apart.
"""
from __future__ import annotations

from typing import Sequence

#: Longest tick label of the confusion picture; longer class names are shortened with an ellipsis.
MAX_LABEL = 40


def tick_labels(names: Sequence[str], max_len: int = MAX_LABEL) -> list[str]:
    """Class names as tick labels: names over ``max_len`` characters are cut with "…", and when two
    labels would then read the same, every label gets its class index in front."""
    def cut(text: str) -> str:
        return text if len(text) <= max_len else text[: max_len - 1] + "…"

    labels = [cut(n) for n in names]
    if len(set(labels)) < len(labels):
        labels = [cut(f"{i} {n}") for i, n in enumerate(names)]
    return labels
