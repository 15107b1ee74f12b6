"""README install (issue 19, newcomer item): the one-command install stays exactly as it is, and the
CPU-only route (PyTorch's CPU wheels first, at the pinned versions) is spelled out beside it."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_one_command_install_unchanged_and_cpu_route_matches_the_pins():
    readme = (REPO / "README.md").read_text()
    assert '<!-- ci:install -->\n```bash\npip install -e ".[dev]"\n```\n' in readme
    setup = (REPO / "setup.py").read_text()
    torch_pin = re.search(r'"torch==([0-9.]+)"', setup).group(1)
    vision_pin = re.search(r'"torchvision==([0-9.]+)"', setup).group(1)
    cpu = f"pip install torch=={torch_pin} torchvision=={vision_pin} --index-url https://download.pytorch.org/whl/cpu"
    assert cpu in readme  # the versions setup.py pins, so the install command keeps the CPU build
    assert readme.index(cpu) < readme.index('pip install -e ".[dev]"   # keeps the CPU build')  # then the same install
