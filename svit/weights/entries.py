"""The catalogue of released weights the recipes use (facts read from each publisher's own files).

``confirmed`` says, per fact, whether it was read from the publisher's file named in ``source``
(repository@commit:path as read): ``url`` (the link is there), ``sha256`` (the publisher states the
checksum: OpenAI CLIP's URL path holds the full SHA-256, torchvision's file names its first 8 hex
digits and its loader checks them), ``size`` (the publisher states the size). An entry with no
confirmed checksum is verified against the SHA-256 its first download recorded
(svit.weights.cache). Names are short and stable; ``python tools/download.py --list`` prints them.
"""
from __future__ import annotations

from svit.weights.catalog import Entry

_SVIT = "eladb3/SViT@bf0ab3e:README.md"
_PYSF = "facebookresearch/SlowFast@287ec00:MODEL_ZOO.md"
_PYSF_MVITV2 = "facebookresearch/SlowFast@287ec00:projects/mvitv2/README.md"
_CLIP = "openai/CLIP@d05afc4:clip/clip.py (_MODELS; the path component before the file name is its SHA-256)"
_EVA = ("baaivision/EVA:EVA-CLIP/README.md (HF link, 9.4GB); also "
        "HJYao00/Side4Video@5d72352:Recognition/eva_clip/pretrained.py")
_S4V = "HJYao00/Side4Video@5d72352:Recognition/README.md (Model Zoo, OneDrive)"
_VSWIN = "SwinTransformer/Video-Swin-Transformer@db018fb:README.md"
_SWIN = "microsoft/Swin-Transformer@2cb103f:MODELHUB.md"
_UNI_V = "Sense-X/UniFormer@52a0415:video_classification/README.md"
_UNI_I = "Sense-X/UniFormer@52a0415:image_classification/README.md"
_DEIT = "facebookresearch/deit@7e160fe:README_deit.md (also models.py)"
_TSM = "mit-han-lab/temporal-shift-module@1f6a834:README.md"
_IBM = "IBM/action-recognition-pytorch@67cc96f:README.md (release weights-v0.1)"
_H2CN = "ty-97/H2CN@cbfd3e7:README.md (Baidu Pan only)"
_TV = "pytorch/vision v0.29.2:torchvision/models/{}.py ({}; builders load with check_hash=True)"

_URL = {"url": True, "sha256": False, "size": False}
_URL_SIZE = {"url": True, "sha256": False, "size": True}
_ALL = {"url": True, "sha256": True, "size": False}
_ALL_SIZE = {"url": True, "sha256": True, "size": True}

_PYSF_BASE = "https://dl.fbaipublicfiles.com/pyslowfast/model_zoo"
_CLIP_BASE = "https://openaipublic.azureedge.net/clip/models"
_IBM_BASE = "https://github.com/IBM/action-recognition-pytorch/releases/download/weights-v0.1"
_TSM_BASE = "https://hanlab18.mit.edu/projects/tsm/models"
_TV_BASE = "https://download.pytorch.org/models"
_S4V_BASE = "https://unisyd-my.sharepoint.com/:u:/g/personal/wenhao_wu_sydney_edu_au"

_SVMIX_MVIT = "svmix/*/mvitv2_s.yaml"
_SVMIX_UNI = "svmix/*/uniformer_s.yaml"


def _clip(name: str, digest: str, file: str, configs: tuple[str, ...]) -> Entry:
    return Entry(name=name, url=f"{_CLIP_BASE}/{digest}/{file}", filename=file, sha256=digest, adapter="clip",
                 key="SIDE4VIDEO.CLIP_WEIGHTS", configs=configs, source=_CLIP, confirmed=_ALL,
                 file_format="torchscript",
                 aliases=("clip_" + name.lower().replace("-", "_").replace("/", ""),))


def _ibm(data: str, arch: str, depth: int) -> Entry:
    file = f"{data.upper()}-{arch.upper()}-ResNet-{depth}-f32.pth.tar"
    folder = "k400" if data == "k400" else "ssv2"
    return Entry(name=f"ibm_{data}_{arch}_r{depth}_f32", url=f"{_IBM_BASE}/{file}", filename=file, adapter="ibm",
                 key="TEST.CHECKPOINT_FILE_PATH", configs=(f"cnn/{folder}/{arch}_r{depth}_f32.yaml",),
                 source=_IBM, confirmed=_URL)


def _s4v(data: str, tower: str, share: str, configs: tuple[str, ...]) -> Entry:
    return Entry(name=f"side4video_{data}_{tower}", url=f"page:{_S4V_BASE}/{share}",
                 filename=f"side4video_{data}_{tower}_model_best.pt", adapter="side4video",
                 key="TEST.CHECKPOINT_FILE_PATH", configs=configs, source=_S4V, confirmed=_URL,
                 note="OneDrive share page: download it in a browser")


def _tv(name: str, file: str, module: str, enum: str, size_mb: float, configs: tuple[str, ...]) -> Entry:
    prefix = file.rsplit("-", 1)[1].split(".")[0]
    return Entry(name=name, url=f"{_TV_BASE}/{file}", filename=file, sha256=prefix, size_mb=size_mb,
                 adapter="imagenet", key="CNN.IMAGENET_WEIGHTS", configs=configs,
                 source=_TV.format(module, enum), confirmed=_ALL_SIZE)


ENTRIES: tuple[Entry, ...] = (
    # SViT (eladb3/SViT README): the SSv2 model and the K400 initialisation it starts from.
    Entry(name="svit_ssv2", url="gdrive://1ZGHCkHwRfa1Nu36P_Y0RVFP631U6-s3j", filename="svit_ssv2.pyth",
          adapter="slowfast", key="TEST.CHECKPOINT_FILE_PATH", configs=("ssv2.yaml",), source=_SVIT, confirmed=_URL,
          note="69.7 top-1 (16x3x1); expects BGR input (configs/ssv2.yaml)"),
    Entry(name="svit_k400_init", url="gdrive://1zfWLs78K55Dye2USUZ62SRgL3SA1xLO0", filename="svit_k400_init.pyth",
          adapter="slowfast", key="TRAIN.CHECKPOINT_FILE_PATH", configs=("ssv2.yaml",), source=_SVIT,
          confirmed=_URL, note="the K400 pretrain SViT starts from"),
    # PySlowFast MViT (MODEL_ZOO.md, projects/mvitv2/README.md).
    Entry(name="mvitv2_s_k400", url=f"{_PYSF_BASE}/mvitv2/pysf_video_models/MViTv2_S_16x4_k400_f302660347.pyth",
          filename="MViTv2_S_16x4_k400_f302660347.pyth", adapter="slowfast", key="TRAIN.CHECKPOINT_FILE_PATH",
          configs=("ssv2.yaml", "mvitv2_s_ssv2.yaml", _SVMIX_MVIT), source=_PYSF, confirmed=_URL),
    Entry(name="mvitv2_b_k400", url=f"{_PYSF_BASE}/mvitv2/pysf_video_models/MViTv2_B_32x3_k400_f304025456.pyth",
          filename="MViTv2_B_32x3_k400_f304025456.pyth", adapter="slowfast", key="TRAIN.CHECKPOINT_FILE_PATH",
          configs=(), source=_PYSF, confirmed=_URL),
    Entry(name="mvitv2_s_ssv2", url=f"{_PYSF_BASE}/mvitv2/pysf_video_models/MViTv2_S_16x4_ssv2_f308341823.pyth",
          filename="MViTv2_S_16x4_ssv2_f308341823.pyth", adapter="slowfast", key="TEST.CHECKPOINT_FILE_PATH",
          configs=("mvitv2_s_ssv2.yaml",), source=_PYSF_MVITV2, confirmed=_URL),
    Entry(name="mvitv1_b_16x4_k400", url="gdrive://194gJinVejq6A1FmySNKQ8vAN5-FOY-QL",
          filename="MVIT_B_16x4_CONV_k400.pyth", adapter="slowfast", key="TEST.CHECKPOINT_FILE_PATH", configs=(),
          source=_PYSF, confirmed=_URL),
    Entry(name="mvitv1_b_32x3_k400", url=f"{_PYSF_BASE}/mvit/k400.pyth", filename="MVIT_B_32x3_CONV_k400.pyth",
          adapter="slowfast", key="TEST.CHECKPOINT_FILE_PATH", configs=(), source=_PYSF, confirmed=_URL),
    # OpenAI CLIP towers (SHA-256 in the URL) and EVA02-CLIP-bigE-14 (Hugging Face hub).
    _clip("ViT-B/32", "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af", "ViT-B-32.pt",
          ("side4video/*/vit_b32_f8.yaml",)),
    _clip("ViT-B/16", "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f", "ViT-B-16.pt",
          ("side4video/*/vit_b16_f8.yaml",)),
    _clip("ViT-L/14", "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836", "ViT-L-14.pt",
          ("side4video/*/vit_l14_f8.yaml",)),
    Entry(name="EVA02-CLIP-bigE-14", url="hf://QuanSun/EVA-CLIP/EVA02_CLIP_E_psz14_s4B.pt",
          filename="EVA02_CLIP_E_psz14_s4B.pt", adapter="clip", key="SIDE4VIDEO.CLIP_WEIGHTS",
          configs=("side4video/*/eva02_e14_*.yaml",), source=_EVA, confirmed=_URL_SIZE, size_mb=9400,
          aliases=("eva02_clip_e14",)),
    # Side4Video releases (OneDrive share pages).
    _s4v("k400", "vit_b16", "EQD0OxnGqOlHj8w3ypX0uwcBGLpQF6Qht8Y6ZWybHTBHKw?e=yTg3WI",
         ("side4video/k400/vit_b16_f8.yaml",)),
    _s4v("k400", "eva_e14", "EWviEs4mF-9HoQOr8K2hiXYBx-06OLLEukvtEMkgLT-oxg?e=ecAkfB",
         ("side4video/k400/eva02_e14_f16.yaml",)),
    _s4v("ssv1", "vit_b16", "ES8TQBqmhdRAvs1SNi3yD8AB5nVcCCXzld9Xm8MWh3WHAA?e=Tsz5AQ",
         ("side4video/ssv1/vit_b16_f8.yaml",)),
    _s4v("ssv1", "eva_e14", "EUk9-WQvgRtFq6iDj75aF5EBRkn2LF6-ApaarLRHkQ4p5A?e=4WU1Z0",
         ("side4video/ssv1/eva02_e14_f16.yaml",)),
    _s4v("ssv2", "vit_b16", "ETjXdYztCpRHmXM8JGPVPCIBsi1LkOJIzidhNzZxWxj53g?e=lvIe8H",
         ("side4video/ssv2/vit_b16_f8.yaml",)),
    _s4v("ssv2", "eva_e14", "Eae070rFi4NDm9qgZrNae0oBiWHovBa2WiQQ7LB7wgT7EA?e=Qan3RO",
         ("side4video/ssv2/eva02_e14_f16.yaml",)),
    # Video Swin and its ImageNet Swin-S initialisation.
    Entry(name="videoswin_s_k400",
          url="https://github.com/SwinTransformer/storage/releases/download/v1.0.4/"
              "swin_small_patch244_window877_kinetics400_1k.pth",
          filename="swin_small_patch244_window877_kinetics400_1k.pth", adapter="videoswin",
          key="TRAIN.CHECKPOINT_FILE_PATH", configs=("swin/*.yaml", "svmix/*/swin_s.yaml"), source=_VSWIN,
          confirmed=_URL),
    Entry(name="swin_s_in1k",
          url="https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_small_patch4_window7_224.pth",
          filename="swin_small_patch4_window7_224.pth", adapter="videoswin", key="TRAIN.CHECKPOINT_FILE_PATH",
          configs=("swin/k400_swin_s_877.yaml",), source=_SWIN, confirmed=_URL),
    # UniFormer (Google Drive).
    Entry(name="uniformer_s_in1k", url="gdrive://1-uepH3Q3BhTmWU6HK-sGAGQC_MpfIiPD",
          filename="uniformer_small_in1k.pth",
          adapter="uniformer", key="TRAIN.CHECKPOINT_FILE_PATH",
          configs=("uniformer/k400_uniformer_s16x4.yaml", "svmix/mini_k400/uniformer_s.yaml"), source=_UNI_I,
          confirmed=_URL),
    Entry(name="uniformer_s16x4_k400", url="gdrive://1-jGZIIuTM5IYIpqkNTojhGhfMc7Gu9Kt",
          filename="uniformer_small_k400_16x4.pth", adapter="uniformer", key="TRAIN.CHECKPOINT_FILE_PATH",
          configs=("uniformer/*.yaml", _SVMIX_UNI), source=_UNI_V, confirmed=_URL),
    Entry(name="uniformer_s16_ssv2", url="gdrive://1-Wq22024HB7tT8kPX6eSMn2GUNMI-_gY",
          filename="uniformer_small_sthv2_prek400.pth", adapter="uniformer", key="TEST.CHECKPOINT_FILE_PATH",
          configs=("uniformer/ssv2_uniformer_s16.yaml",), source=_UNI_V, confirmed=_URL),
    # DeiT-S (ViViT's ImageNet initialisation).
    Entry(name="deit_s_in1k", url="https://dl.fbaipublicfiles.com/deit/deit_small_patch16_224-cd65a155.pth",
          filename="deit_small_patch16_224-cd65a155.pth", adapter="deit", key="TRAIN.CHECKPOINT_FILE_PATH",
          configs=("vivit/*.yaml", "svmix/*/vivit_s.yaml"), source=_DEIT, confirmed=_URL,
          note="the -cd65a155 suffix looks like a torch.hub hash prefix, but DeiT does not say so: not enforced"),
    # TSM (mit-han-lab).
    Entry(name="tsm_r50_k400_f8", url=f"{_TSM_BASE}/TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e50.pth",
          filename="TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e50.pth", adapter="tsm",
          key="TRAIN.CHECKPOINT_FILE_PATH", configs=("cnn/*/tsm_r50_f8.yaml", "svmix/*/tsm_r50.yaml"), source=_TSM,
          confirmed=_URL, note="uniform sampling, 8 segments"),
    Entry(name="tsm_r50_k400_f16", url=f"{_TSM_BASE}/TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment16_e50.pth",
          filename="TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment16_e50.pth", adapter="tsm",
          key="TRAIN.CHECKPOINT_FILE_PATH", configs=("cnn/*/tsm_r50_f16.yaml",), source=_TSM, confirmed=_URL),
    Entry(name="tsm_r50_ssv2_f8", url=f"{_TSM_BASE}/TSM_somethingv2_RGB_resnet50_shift8_blockres_avg_segment8_e45.pth",
          filename="TSM_somethingv2_RGB_resnet50_shift8_blockres_avg_segment8_e45.pth", adapter="tsm",
          key="TEST.CHECKPOINT_FILE_PATH", configs=("cnn/ssv2/tsm_r50_f8.yaml",), source=_TSM, confirmed=_URL),
    Entry(name="tsm_r50_ssv2_f16",
          url=f"{_TSM_BASE}/TSM_somethingv2_RGB_resnet50_shift8_blockres_avg_segment16_e45.pth",
          filename="TSM_somethingv2_RGB_resnet50_shift8_blockres_avg_segment16_e45.pth", adapter="tsm",
          key="TEST.CHECKPOINT_FILE_PATH", configs=("cnn/ssv2/tsm_r50_f16.yaml",), source=_TSM, confirmed=_URL),
    # IBM action-recognition-pytorch (GitHub release weights-v0.1).
    _ibm("k400", "i3d", 50), _ibm("k400", "tam", 50), _ibm("k400", "i3d", 101), _ibm("k400", "tam", 101),
    _ibm("ssv2", "i3d", 50), _ibm("ssv2", "tam", 50), _ibm("ssv2", "i3d", 101), _ibm("ssv2", "tam", 101),
    # H2CN (Baidu Pan share pages with a password).
    Entry(name="h2cn_k400_f8", url="page:https://pan.baidu.com/s/16nf9kad6RClaW3NbInsPBA",
          filename="h2cn_k400_f8.pth.tar",
          adapter="h2cn", key="TEST.CHECKPOINT_FILE_PATH", configs=("cnn/k400/h2cn_r50_f8.yaml",), source=_H2CN,
          confirmed=_URL, note="Baidu Pan, password defq"),
    Entry(name="h2cn_k400_f16", url="page:https://pan.baidu.com/s/1SsBSWqJYpM4bnh1ACNqtzg",
          filename="h2cn_k400_f16.pth.tar", adapter="h2cn", key="TEST.CHECKPOINT_FILE_PATH",
          configs=("cnn/k400/h2cn_r50_f16.yaml",), source=_H2CN, confirmed=_URL, note="Baidu Pan, password vert"),
    # torchvision ImageNet weights for the 2D->3D inflation and the 2D CNNs (hash prefix in the name).
    _tv("resnet18_in1k", "resnet18-f37072fd.pth", "resnet", "ResNet18_Weights.IMAGENET1K_V1", 44.661,
        ("cnn/*/*_r18_*.yaml",)),
    _tv("resnet50_in1k", "resnet50-0676ba61.pth", "resnet", "ResNet50_Weights.IMAGENET1K_V1", 97.781,
        ("cnn/*/*_r50_*.yaml", "svmix/*/tsm_r50.yaml", "svmix/*/r2plus1d_r50.yaml")),
    _tv("resnet101_in1k", "resnet101-63fe2227.pth", "resnet", "ResNet101_Weights.IMAGENET1K_V1", 170.511,
        ("cnn/*/*_r101_*.yaml",)),
    _tv("googlenet_in1k", "googlenet-1378be20.pth", "googlenet", "GoogLeNet_Weights.IMAGENET1K_V1", 49.731,
        ("cnn/*/*_inception_*.yaml",)),
)
