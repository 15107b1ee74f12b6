"""H2CN (Hierarchical Hourglass Convolutional Network, ACM MM 2022) re-implemented for svit.

Files, one idea each:
  hourglass.py  the hourglass convolution (HgC): wide-narrow-wide receptive field over 3 steps
  motion.py     frame-level motion branch (FMCB): 5 raw frames -> 3 -> 1 motion map + stem
  cmcb.py       clip-level motion block (CMCB): hourglass channel gate across segments
  backbone.py   ResNet bottlenecks with TSM shift and CMCB, key-frame stem fused with motion
  model.py      the registered ``H2CN`` model: (B, 3, T*L, H, W) -> segment-averaged logits
  adapter_h2cn.py           checkpoint adapter ``h2cn``: the original's released checkpoints
  adapter_h2cn_imagenet.py  checkpoint adapter ``h2cn_imagenet``: ImageNet ResNet initialisation
"""
