"""SV-Mix (Selective Volume Mixup, Tan et al. 2023) as the code of ty-97/Seletive-Volume-Mix does it.

One idea per file:

* ``selector``  — the selective module φ (one module for the spatial and the temporal mode).
* ``masks``     — logits per feature cell -> soft pixel masks; the constant (plain mixup) mask; mixing.
* ``labels``    — smoothed one-hots, the feature-saliency ratio of the online label, label mixing.
* ``losses``    — soft-target cross entropy and the batch-level mask-area regulariser.
* ``sampling``  — the per-step random draws (mode, λ, λ_ofl, two permutations) from torch's RNG.
* ``features``  — the backbone feature map (and ViViT's temporal tokens) the selector consumes.
* ``mix``       — one SV-Mix step's tensors (online/offline clips, targets, mask loss) from those parts.

The training wiring (EMA teacher, selector optimiser, gradient routing) is the batch hook
``svit/engine/hooks/svmix.py``; its step time over a plain step: ``tools/svmix_cost.py``.
"""
