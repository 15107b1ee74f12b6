"""The epoch-end plot belongs to the run: TRAIN.OVERWRITE removes it, a restart tolerates it."""
from svit.engine.output_dir import clear_previous_run, previous_run


def test_overwrite_removes_an_old_runs_stats_plot(tmp_path):
    (tmp_path / "stats.png").write_bytes(b"\x89PNG old run")
    (tmp_path / "notes.txt").write_text("the user's own file")
    assert "stats.png" in previous_run(str(tmp_path))
    assert "stats.png" in clear_previous_run(str(tmp_path))
    assert not (tmp_path / "stats.png").exists()
    assert (tmp_path / "notes.txt").exists()
