"""The seeds' test protocols by name (``TEST.PROTOCOL``), so a number is measured the way its paper
measured it and ``test_results.json`` says which way that was.

A protocol is one or more *passes* (a view layout: clips x crops, crop at the usual size or at full
resolution) and, per pass, *readouts* (which views are averaged into one reported number):

* ``tdn`` — TDN (Wang et al., CVPR 2021) and H2CN report two numbers: 1 clip x the centre crop, and
  10 clips x 3 crops at full resolution (the short side resized to the test scale, crops of that
  size). Two passes.
* ``ibm`` — IBM action-recognition-pytorch ``test.py``: ``--num_clips`` x ``--num_crops`` (here
  TEST.NUM_ENSEMBLE_VIEWS x TEST.NUM_SPATIAL_CROPS) with the configured dense or uniform sampling.
* ``svmix`` — SV-Mix (``ACC-1crop`` / ``ACC-3crop``): one pass of TEST.NUM_ENSEMBLE_VIEWS clips x 3
  crops; ``acc_1crop`` averages the centre crop (the original's crop 0) over the clips,
  ``acc_3crop`` every crop.
* ``side4video`` — Side4Video Kinetics: frames x 3 crops x 4 clips ("8x3x4");
  ``side4video_ss`` — its Something-Something protocol, 3 crops x 2 clips.

An empty TEST.PROTOCOL keeps the TEST.* keys as they are (one readout, ``top1``/``top5``).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from svit.config.sections import register_key_choices
from svit.engine.results import aggregate_views, model_metrics
from svit.run_folder import TEST_RESULTS_FILE
from svit.utils.atomic import atomic_write_text


@dataclass(frozen=True)
class Readout:
    """One reported number: the views of ``crops`` ("all" or "centre") averaged per video."""

    name: str
    crops: str = "all"


@dataclass(frozen=True)
class ProtocolPass:
    """One test pass; ``None`` keeps the config's value."""

    name: str
    num_clips: int | None
    num_crops: int | None
    full_resolution: bool
    readouts: tuple[Readout, ...]


@dataclass(frozen=True)
class Protocol:
    name: str
    source: str
    passes: tuple[ProtocolPass, ...]


PROTOCOLS: dict[str, Protocol] = {
    "tdn": Protocol("tdn", "TDN (Wang et al., CVPR 2021) / H2CN: 1 clip centre crop; 10 clips x 3 full-res crops", (
        ProtocolPass("1clip_centre", 1, 1, False, (Readout("1clip_centre"),)),
        ProtocolPass("10clip_3crop_fullres", 10, 3, True, (Readout("10clip_3crop_fullres"),)),
    )),
    "ibm": Protocol("ibm", "IBM action-recognition-pytorch test.py: num_clips x num_crops, dense or uniform", (
        ProtocolPass("views", None, None, False, (Readout("views"),)),
    )),
    "svmix": Protocol("svmix", "SV-Mix test: ACC-1crop (centre crop over clips) and ACC-3crop (all crops)", (
        ProtocolPass("views", None, 3, False, (Readout("acc_1crop", "centre"), Readout("acc_3crop", "all"))),
    )),
    "side4video": Protocol("side4video", "Side4Video Kinetics test: frames x 3 crops x 4 clips", (
        ProtocolPass("views", 4, 3, False, (Readout("3crop_4clip"),)),
    )),
    "side4video_ss": Protocol("side4video_ss", "Side4Video Something-Something test: frames x 3 crops x 2 clips", (
        ProtocolPass("views", 2, 3, False, (Readout("3crop_2clip"),)),
    )),
}
# TEST.PROTOCOL takes these names ("" = the TEST.* keys as set); validate_config checks it.
register_key_choices("TEST.PROTOCOL", PROTOCOLS, also=("",))


def get_protocol(name: str) -> Protocol | None:
    """The protocol named by TEST.PROTOCOL (None for "")."""
    if not name:
        return None
    if name not in PROTOCOLS:
        raise ValueError(f"TEST.PROTOCOL must be empty or one of {sorted(PROTOCOLS)}, got {name!r}")
    return PROTOCOLS[name]


def pass_config(cfg, p: ProtocolPass):
    """A copy of ``cfg`` with the pass's views (full resolution: crops of the test scale's size)."""
    out = copy.deepcopy(cfg)
    out.defrost()
    if p.num_clips is not None:
        out.TEST.NUM_ENSEMBLE_VIEWS = p.num_clips
    if p.num_crops is not None:
        out.TEST.NUM_SPATIAL_CROPS = p.num_crops
    if p.full_resolution:
        scale = int(cfg.DATA.TEST_SCALE_SIZE) or int(round(cfg.DATA.TEST_CROP_SIZE * 256 / 224))
        out.DATA.TEST_SCALE_SIZE = scale
        out.DATA.TEST_CROP_SIZE = scale
    out.freeze()
    return out


def describe(cfg, p: ProtocolPass | None = None) -> dict[str, Any]:
    """What test_results.json records about the protocol of ``cfg`` (and the pass it ran)."""
    proto = get_protocol(cfg.TEST.PROTOCOL)
    if proto is None:
        return {"name": "config", "sampling": cfg.DATA.SAMPLING}
    out: dict[str, Any] = {"name": proto.name, "source": proto.source, "sampling": cfg.DATA.SAMPLING}
    if p is not None:
        out["pass"] = p.name
    return out


def readouts(cfg, p: ProtocolPass | None, index: np.ndarray, view: np.ndarray, scores: np.ndarray,
             labels: np.ndarray, num_videos: int) -> dict[str, dict[str, Any]]:
    """Metrics of each readout of pass ``p`` from the per-view softmax scores of one model."""
    if p is None:
        return {}
    crops = int(cfg.TEST.NUM_SPATIAL_CROPS)
    clips = int(cfg.TEST.NUM_ENSEMBLE_VIEWS)
    out = {}
    for r in p.readouts:
        if r.crops == "centre":
            centre = crops // 2  # spatial index of the centre crop (1 of 3, 0 of 1)
            keep = view % crops == centre
            agg = aggregate_views(index[keep], view[keep] // crops, scores[keep], num_videos, clips,
                                  cfg.TEST.ENSEMBLE_METHOD)
            views = clips
        else:
            agg = aggregate_views(index, view, scores, num_videos, clips * crops, cfg.TEST.ENSEMBLE_METHOD)
            views = clips * crops
        out[r.name] = {**model_metrics(agg, labels), "num_clips": clips,
                       "num_crops": 1 if r.crops == "centre" else crops, "num_views": views,
                       "crop_size": int(cfg.DATA.TEST_CROP_SIZE), "num_frames": int(cfg.DATA.NUM_FRAMES)}
    return out


def current_pass(cfg) -> ProtocolPass | None:
    """The pass whose views ``cfg`` already has (set by :func:`pass_config`; the last pass otherwise)."""
    proto = get_protocol(cfg.TEST.PROTOCOL)
    if proto is None:
        return None
    for p in proto.passes:
        clips_ok = p.num_clips in (None, cfg.TEST.NUM_ENSEMBLE_VIEWS)
        if clips_ok and p.num_crops in (None, cfg.TEST.NUM_SPATIAL_CROPS):
            return p
    return proto.passes[-1]


def run_protocol(cfg, device, experiment, build_dataset, build_loader, run_test) -> dict[str, Any] | None:
    """Runs every pass of TEST.PROTOCOL; the last pass writes the usual result files to
    OUTPUT_DIR, earlier passes to OUTPUT_DIR/protocol_<pass>/; the final test_results.json carries
    every pass's readouts under ``protocol_results`` (rank 0 returns it, other ranks None)."""
    import json
    import os

    proto = get_protocol(cfg.TEST.PROTOCOL)
    collected: dict[str, Any] = {}
    results = None
    for k, p in enumerate(proto.passes):
        pcfg = pass_config(cfg, p)
        if k < len(proto.passes) - 1:
            pcfg.defrost()
            pcfg.OUTPUT_DIR = os.path.join(cfg.OUTPUT_DIR, f"protocol_{p.name}")
            pcfg.freeze()
        loader = build_loader(pcfg, "test", build_dataset(pcfg, "test"))
        results = run_test(pcfg, experiment.eval_models(), experiment.task, loader, device, experiment.checkpoint)
        if results is not None:
            collected.update(results.get("protocol_results", {}))
    if results is None:
        return None
    results["protocol_results"] = collected
    atomic_write_text(os.path.join(cfg.OUTPUT_DIR, TEST_RESULTS_FILE),
                      json.dumps(results, indent=2, default=str, allow_nan=False) + "\n")
    return results
