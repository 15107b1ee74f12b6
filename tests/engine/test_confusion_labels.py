"""The confusion picture's class labels: long names are cut, and cut names never read the same."""
from __future__ import annotations

import numpy as np

from svit.engine.class_labels import MAX_LABEL, tick_labels
from svit.engine.metrics.confusion import plot_confusion

# Two SSv2 class names that share their first 70 characters.
SLIDES = "Putting something that can't roll onto a slanted surface, so it slides down"
STAYS = "Putting something that can't roll onto a slanted surface, so it stays where it is"


def test_short_names_are_kept_and_long_ones_cut_with_an_ellipsis():
    labels = tick_labels(["Holding something", "Moving something and something closer to each other"])
    assert labels[0] == "Holding something"
    assert len(labels[1]) == MAX_LABEL and labels[1].endswith("…")
    assert labels[1].startswith("Moving something and something closer")


def test_names_that_would_read_the_same_get_their_class_index():
    labels = tick_labels(["Holding something", SLIDES, STAYS])
    assert len(set(labels)) == 3
    assert labels == ["0 Holding something", "1 " + SLIDES[: MAX_LABEL - 3] + "…", "2 " + STAYS[: MAX_LABEL - 3] + "…"]


def test_the_picture_uses_those_labels(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    seen = {}
    real = Axes.set_yticklabels
    monkeypatch.setattr(Axes, "set_yticklabels", lambda self, labels, **kw: seen.setdefault("y", list(labels))
                        and real(self, labels, **kw))
    conf = np.array([[3, 1, 0], [0, 2, 2], [0, 1, 4]])
    plot_confusion(conf, ["Holding something", SLIDES, STAYS], str(tmp_path / "c.png"))
    assert seen["y"] == tick_labels(["Holding something", SLIDES, STAYS])
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_the_confused_pairs_picture_tells_such_classes_apart(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    from svit.engine.confused_pairs import _plot

    seen = {}
    real = Axes.set_yticklabels
    monkeypatch.setattr(Axes, "set_yticklabels", lambda self, labels, **kw: seen.setdefault("y", list(labels))
                        and real(self, labels, **kw))
    _plot([(1, 2, 5, 0.5), (2, 1, 3, 0.3)], ["Holding something", SLIDES, STAYS], str(tmp_path / "p.png"))
    short = tick_labels(["Holding something", SLIDES, STAYS], 38)
    assert seen["y"] == [f"{short[1]} -> {short[2]}", f"{short[2]} -> {short[1]}"]
    assert seen["y"][0] != seen["y"][1] and seen["y"][0].startswith("1 ")


def test_shorten_keeps_short_text_and_marks_the_cut():
    from svit.engine.class_labels import shorten

    assert shorten("Holding something", 20) == "Holding something"
    assert shorten("Moving something from right to left", 20) == "Moving something fr…"
    assert len(shorten("x" * 100, 32)) == 32
    assert shorten("Moving something from right to left", 31) == "Moving something from right to…"  # no space before …


def test_predict_side_text_puts_the_score_before_the_cut_name():
    import numpy as np

    from svit.vis.predict_view import ViewScores, view_text

    names = ["Moving something from left to right", "Moving something from right to left"]
    scores = ViewScores(per_view=np.array([[0.14, 0.86]]), ensemble=np.array([0.14, 0.86]), outputs=None)
    first = view_text(0, scores, names, [1, 0], None).splitlines()[0]
    # the old text, "top-1 Moving something from right to 0.86", read as if the class were "right to 0.86"
    assert first == "view 1: top-1 0.86 Moving something from right to…"


def test_svmix_target_text_marks_a_cut_name():
    import torch

    from svit.vis.svmix_view import target_text

    names = ["Holding something", "Moving something and something away from each other"]
    lines = target_text(torch.tensor([0.3, 0.7]), names).splitlines()
    assert lines == ["  0.70 Moving something and something aw…", "  0.30 Holding something"]
