"""The converters' shared row loop (data_tools/_prepare_helpers.convert_rows): what each row becomes."""
from __future__ import annotations

from data_tools._prepare_helpers import MediaIndex, Problems, Skip, convert_rows


def test_rows_become_lines_skips_and_missing_with_their_numbers(tmp_path) -> None:
    videos = tmp_path / "videos"
    (videos / "s1").mkdir(parents=True)
    for stem in ("a", "b"):
        (videos / "s1" / f"{stem}.mp4").write_bytes(b"")

    def parse(text: str) -> tuple[str, int]:
        name, _, label = text.partition(" ")
        if not label.isdigit():
            raise Skip("malformed", f"no label in {text!r}")
        return name, int(label)

    problems = Problems()
    rows = [(3, "a 1"), (5, "zz 0"), (7, "b"), (9, "b 2")]
    lines, read = convert_rows("ann.txt", rows, MediaIndex(str(videos), progress=False), problems, False, parse)
    assert lines == ["s1/a.mp4 1", "s1/b.mp4 2"] and read == 4
    assert problems.items == [
        ("missing", "ann.txt", 5, f"clip zz not found under {videos}"),
        ("malformed", "ann.txt", 7, "no label in 'b'"),
    ]


def test_a_custom_lookup_and_noun() -> None:
    class Nowhere:
        root = "/data"

        def find(self, name: str) -> None:
            return None

    problems = Problems()
    lines, _ = convert_rows("t.txt", [(1, "x"), (2, "y")], Nowhere(), problems, False, lambda r: (r, 0),
                           find=lambda name: f"listed/{name}" if name == "y" else None, noun="video")
    assert lines == ["listed/y 0"] and problems.items == [("missing", "t.txt", 1, "video x not found under /data")]
