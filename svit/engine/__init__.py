"""The training/evaluation engine: one loop for every model family, parts plugged in by registry."""
