"""Blocks per stage of the ResNets (He et al., CVPR 2016, Table 1), one table for the 2D video
ResNets (TSN/TSM/TAM) and the 3D ones (I3D/S3D-ResNet): the basic block below depth 50, the
bottleneck from 50 on."""

RESNET_LAYERS: dict[int, list[int]] = {
    18: [2, 2, 2, 2],
    34: [3, 4, 6, 3],
    50: [3, 4, 6, 3],
    101: [3, 4, 23, 3],
    152: [3, 8, 36, 3],
}
