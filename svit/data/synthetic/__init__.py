"""Synthetic Something-Something: small videos in the exact SSv2 + Something-Else layout whose
classes are told apart only by motion/temporal order (see ``classes.py``)."""
