"""Every registered model builder names the config sections it reads, those sections exist, and the
resume check compares exactly them (no guessing a section from MODEL.ARCH)."""
from __future__ import annotations

from svit.config import get_cfg
from svit.engine.resume_check import compare_configs, family_sections
from svit.models import MODEL_REGISTRY


def _shipped() -> list[str]:
    return [n for n in MODEL_REGISTRY.names() if MODEL_REGISTRY.get(n).__module__.startswith("svit.")]


def test_every_builder_declares_sections_of_the_tree():
    cfg = get_cfg()
    for name in _shipped():
        sections = getattr(MODEL_REGISTRY.get(name), "config_sections", None)
        assert sections, f"builder {name} does not declare its config sections (@uses_config_sections)"
        assert all(s in cfg for s in sections), (name, sections)
    assert MODEL_REGISTRY.get("SViT").config_sections == ("MVIT", "SVIT")


def test_resume_check_compares_the_declared_sections_whatever_arch_says():
    old = get_cfg()
    old.MODEL.MODEL_NAME, old.MODEL.ARCH = "VideoSwin", "something_else"  # ARCH no longer picks the section
    assert family_sections({"MODEL.MODEL_NAME": "VideoSwin"}) == {"SWIN"}
    new = old.clone()
    new.SWIN.DEPTHS = [2, 2, 2, 2]
    new.MVIT.DEPTH = 3  # another family's section: not architectural for VideoSwin
    arch, other = compare_configs(old.dump(), new)
    assert arch == ["SWIN.DEPTHS: [2, 2, 6, 2] -> [2, 2, 2, 2]"]
    assert other == ["MVIT.DEPTH: 16 -> 3"]
    new.SWIN.DEPTHS, new.SWIN.DROPPATH_RATE = [2, 2, 6, 2], 0.3  # regularisation: never architectural
    assert compare_configs(old.dump(), new)[0] == []
    assert family_sections({"MODEL.MODEL_NAME": "NoSuchModel"}) == set()
