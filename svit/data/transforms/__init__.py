"""Box-aware clip transforms: every op is applied identically to all frames of a clip and moves the
clip's boxes with the pixels (see ``clip.Clip``)."""
