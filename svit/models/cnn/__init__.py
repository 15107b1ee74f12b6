"""2D/3D CNN baselines (TSN, TSM, TAM, I3D, ResNet3D, S3D, R(2+1)D) and their building blocks."""
