"""Installs the ``svit`` package: video action recognition (SViT, MViTv2, CNN baselines, H2CN)."""
from setuptools import find_packages, setup

# torch/torchvision are pinned as a pair: torchvision has to match torch's ABI exactly.
INSTALL_REQUIRES = [
    "torch==2.14.1",
    "torchvision==0.29.2",
    "fvcore>=0.1.5.post20221221",
    "iopath>=0.1.9",
    "timm>=1.0",
    "einops>=0.7",
    "av>=12.0",
    "opencv-python-headless>=4.8",
    "scikit-learn>=1.3",
    "tensorboard>=2.14",
    "tqdm>=4.66",
    "matplotlib>=3.7",
    "numpy>=1.24",
    "Pillow>=10.0",
    "PyYAML>=6.0",
    "simplejson>=3.19",
    "filelock>=3.12",
]

EXPORT_REQUIRES = ["onnx>=1.16", "onnxscript>=0.1", "onnxruntime>=1.18"]
# tools/visualize.py attention on the CNN families: Grad-CAM (pytorch-grad-cam); in "dev" too so CI runs its tests.
VIS_REQUIRES = ["grad-cam>=1.5", "ttach>=0.0.3"]

setup(
    name="svit",
    version="0.1.0",
    description="Video action recognition: SViT, MViTv2, SV-Mix, H2CN, 2D/3D CNN baselines",
    python_requires=">=3.10",
    packages=find_packages(include=["svit", "svit.*"]),
    # **/*.yaml: the config key files (svit/config/defaults.yaml, each part's config.yaml / <part>_config.yaml)
    package_data={"svit": ["resources/*.txt", "resources/*.json", "**/*.yaml"]},
    include_package_data=True,
    install_requires=INSTALL_REQUIRES,
    extras_require={
        # open_clip_torch: the Side4Video tower equivalence tests against open_clip's forward (needs only ftfy
        # beyond what svit installs; tests/models/test_open_clip_towers.py skips them without it).
        "dev": ["pytest>=7.4", "pytest-xdist>=3.3", "hypothesis>=6.80", "ruff>=0.6", "open_clip_torch>=2.24",
                *EXPORT_REQUIRES, *VIS_REQUIRES],
        # tools/export.py: ONNX export (torch.export-based exporter) and its onnxruntime check.
        "export": EXPORT_REQUIRES,
        # detectron2 is not on PyPI: install it by hand for data_tools/detect_boxes.py --backend detectron2.
        # Build from source (steps in docs/TOOLS.md): pip install --no-build-isolation --no-deps -e <detectron2 clone>
        "detectron2": [],
        # Optional video decoders (DATA.DECODING_BACKEND torchcodec / decord); TorchCodec also needs the
        # system's FFmpeg shared libraries (4-8), e.g. apt-get install libavcodec59 libavformat59 ... on Debian 12.
        "decoders": ["torchcodec>=0.17", "decord2>=3.4"],
        # Weights by name (svit/weights): Google Drive files through gdown, Hugging Face hub files through
        # huggingface_hub; plain https downloads need neither (standard library).
        "weights": ["gdown>=4.7", "huggingface_hub>=0.20"],
        # tools/visualize.py attention on the CNN families: Grad-CAM (pytorch-grad-cam). Its other requirements
        # (opencv-python-headless, scikit-learn and its scipy, matplotlib) come with svit; ttach is small.
        # It adds no torch of its own: pip install --no-deps grad-cam ttach works as well.
        "vis": VIS_REQUIRES,
    },
)
