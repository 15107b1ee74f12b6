"""Side4Video: frozen CLIP/EVA image towers with a trainable spatial-temporal side network.

Files: ``clip_tower.py`` / ``eva_tower.py`` (the frozen towers, OpenAI / EVA-CLIP names),
``side_block.py`` (CLIP pre-norm and EVA post-norm side blocks), ``token_shift.py`` (the CLS shift),
``model.py`` (stem, projections, fusion, head; the tower under ``no_grad``), ``towers.py`` (presets,
``infer_tower_from_weights``), ``build.py`` (registered builder ``Side4Video``), ``memory.py``
(saved-for-backward probe). Weights: checkpoint adapters ``clip`` (``adapter_clip.py``: OpenAI .pt
archives, open_clip, EVA-CLIP) and ``side4video`` (``adapter_side4video.py``: the project's checkpoints).

The original's defects (HJYao00/Side4Video, Recognition/) and what this port does:
1. Its init of the side projections hits the text tower's copies, so the visual projections keep
   PyTorch's default init: we use that default (the trained behaviour) and build no text tower.
   The side blocks' init, including the hard-coded ``(2*12)^-0.5`` for every tower, is kept.
2. Dead code (text tower, prompts, video_header, logit_scale, ``tm``/``joint_st``, drop-layer modes,
   the shift's unused RNG draw, unused config keys) is not ported.
3. ``n_emb`` is not a key: the head width is ``SIDE4VIDEO.SIDE_DIM``.
4. Single-process runs work (the engine); nothing calls ``dist`` unconditionally.
5. No hard-coded paths: ``SIDE4VIDEO.CLIP_WEIGHTS`` (a path, URL or catalogue name resolved by svit.weights),
   ``DATA.PATH_*``, ``OUTPUT_DIR``.
6. Data-loader quirks are not copied: frame counts, filters and unreadable frames follow the data
   pipeline's rules (errors name the file; no silent fallback to frame 1).
7. Evaluation gathers every prediction once (no padded duplicates) and computes exact accuracy.
8. Weight decay on every trainable tensor IS replicated by the recipes (``WEIGHT_DECAY`` and
   ``BN_WEIGHT_DECAY`` 0.15, ``no_weight_decay()`` empty); ``SOLVER.ZERO_WD_1D_PARAM True`` ablates it.
9. LayerNorms run in fp32 (``LayerNormFp32``) without re-casting modules each forward; all RNGs are seeded.
10. EVA recipes come at 8 frames (as shipped) and 16 (the README's ViT-E numbers); the K400 EVA batch
    of 1 per GPU is kept and flagged in the recipe.
11. The EVA side branch runs whatever the checkpointing flag; ``MODEL.ACT_CHECKPOINT`` only
    recomputes the side blocks in backward (the frozen tower keeps no graph to recompute).
"""
from svit.models.side4video.build import build_side4video
from svit.models.side4video.model import Side4Video
from svit.models.side4video.towers import PRESETS, infer_tower_from_state, infer_tower_from_weights

__all__ = ["Side4Video", "build_side4video", "PRESETS", "infer_tower_from_state", "infer_tower_from_weights"]
