"""prepare_kinetics.py / prepare_mini_kinetics.py: official CSV + trimmed clips -> lists that train."""
from __future__ import annotations

from data_tools import prepare_kinetics, prepare_mini_kinetics
from tests.data.prepare_helpers import REPO, problems, read_list, train_one_step, write_video

HEADER = "label,youtube_id,time_start,time_end,split\n"


def test_kinetics_csv_to_a_training_run(tmp_path) -> None:
    ann, videos, out = tmp_path / "annotations", tmp_path / "videos", tmp_path / "lists"
    ann.mkdir()
    (ann / "train.csv").write_text(HEADER + "\n".join([
        '"air drumming",abc-123_XY,10,20,train',
        "archery,def456,0.0,10.0,train",
        "archery,gone000,5,15,train",  # deleted from YouTube: missing
        "abseiling,zzz,x,10,train",  # malformed time
        "abseiling,yyy,1,11",  # malformed: 4 fields
    ]) + "\n")
    (ann / "validate.csv").write_text(HEADER + "archery,val001,3,13,val\n\"air drumming\",val002,30,40,val\n")
    (ann / "test.csv").write_text("youtube_id,time_start,time_end,split\ntst001,0,10,test\n")
    write_video(videos / "train" / "air drumming" / "abc-123_XY_000010_000020.mp4", 6)
    write_video(videos / "train" / "archery" / "def456_000000_000010.mp4", 6)
    write_video(videos / "val001_000003_000013.mp4", 6)  # flat layout works too
    write_video(videos / "val" / "air drumming" / "val002_000030_000040.mp4", 6)

    code = prepare_kinetics.main(["--csv-dir", str(ann), "--videos", str(videos), "--out", str(out), "--no-progress"])
    assert code == 0
    classes = read_list(out / "classes.txt")
    assert classes == ["air drumming", "archery"]  # sorted names of the well-formed train rows
    idx = {c: i for i, c in enumerate(classes)}
    assert read_list(out / "train.txt") == [f"train/air drumming/abc-123_XY_000010_000020.mp4 {idx['air drumming']}",
                                            f"train/archery/def456_000000_000010.mp4 {idx['archery']}"]
    assert read_list(out / "val.txt") == [f"val001_000003_000013.mp4 {idx['archery']}",
                                          f"val/air drumming/val002_000030_000040.mp4 {idx['air drumming']}"]
    assert not (out / "test.txt").exists()  # unlabelled test CSV
    assert sorted((r[0], r[2]) for r in problems(out)) == [("malformed", "5"), ("malformed", "6"), ("missing", "4")]

    train_one_step("k400", out, videos, tmp_path / "run", num_val=2, num_classes=len(classes))


def test_mini_kinetics_keeps_the_200_classes_with_their_rows(tmp_path, capsys) -> None:
    mini = read_list(REPO / "svit" / "resources" / "mini_kinetics400_classes.txt")
    assert len(mini) == 200
    ann, videos, out = tmp_path / "annotations", tmp_path / "videos", tmp_path / "lists"
    ann.mkdir()
    rows = [f'"{c}",tr{i:04d},0,10,train' for i, c in enumerate(mini)]
    rows.append("not a mini class,other1,0,10,train")  # a full-K400 class: left out by design
    (ann / "kinetics-400_train.csv").write_text(HEADER + "\n".join(rows) + "\n")
    (ann / "kinetics-400_val.csv").write_text(HEADER + f'"{mini[7]}",va0001,0,10,val\n"{mini[150]}",va0002,0,10,val\n')
    for i in (0, 199):  # only two training clips were downloaded: 198 reported missing
        write_video(videos / f"tr{i:04d}_000000_000010.mp4", 6)
    write_video(videos / "va0001_000000_000010.mp4", 6)
    write_video(videos / "va0002_000000_000010.mp4", 6)
    write_video(videos / "other1_000000_000010.mp4", 6)

    code = prepare_mini_kinetics.main(["--csv-dir", str(ann), "--videos", str(videos), "--out", str(out),
                                       "--no-progress"])
    assert code == 0
    assert read_list(out / "classes.txt") == mini
    assert read_list(out / "train.txt") == ["tr0000_000000_000010.mp4 0", "tr0199_000000_000010.mp4 199"]
    assert read_list(out / "val.txt") == ["va0001_000000_000010.mp4 7", "va0002_000000_000010.mp4 150"]
    found = problems(out)
    assert len(found) == 198 and {r[0] for r in found} == {"missing"}
    assert "train: 200 of 201 rows belong to the 200 Mini-Kinetics classes" in capsys.readouterr().out

    train_one_step("mini_k400", out, videos, tmp_path / "run", num_val=2)
