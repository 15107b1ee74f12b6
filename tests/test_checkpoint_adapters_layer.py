"""svit.checkpoint (layer 2) loads foreign files through ADAPTER_REGISTRY without importing the models
(layer 3): the adapters register into the registry it owns (issue 21, item 3)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_loading_with_an_adapter_never_imports_the_models(tmp_path):
    """A process that imports only svit.checkpoint registers an adapter, loads a foreign file with it
    and has still not imported svit.models (the old function-level import pulled every family in)."""
    code = textwrap.dedent(f"""
        import sys
        import torch
        import torch.nn as nn
        from svit.checkpoint import ADAPTER_REGISTRY, CheckpointError, load_checkpoint

        assert "svit.models" not in sys.modules, "importing svit.checkpoint imported the models"

        @ADAPTER_REGISTRY.register("renamed")
        def renamed(state, model, report):
            report.dropped.append(("extra", "not a model tensor"))
            return {{k.replace("fc.", "head."): v for k, v in state.items() if k != "extra"}}

        net = nn.Sequential()
        net.head = nn.Linear(2, 2)
        path = {str(tmp_path / "foreign.pth")!r}
        w = torch.arange(4.0).view(2, 2)
        torch.save({{"fc.weight": w, "fc.bias": torch.ones(2), "extra": torch.zeros(1)}}, path)
        report = load_checkpoint(path, net, checkpoint_type="renamed")
        assert torch.equal(net.head.weight, w) and report.loaded == ["head.bias", "head.weight"], report
        assert report.dropped == [("extra", "not a model tensor")]
        try:
            load_checkpoint(path, net, checkpoint_type="nowhere")
        except CheckpointError as e:
            assert "'nowhere' has no registered adapter" in str(e) and "renamed" in str(e), e
        else:
            raise AssertionError("an unknown CHECKPOINT_TYPE was accepted")
        assert "svit.models" not in sys.modules, "loading imported the models"
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]


def test_the_families_register_their_adapters_in_the_checkpoint_registry():
    """One registry object: the one svit.checkpoint looks names up in holds every family's adapters."""
    from svit.checkpoint import ADAPTER_REGISTRY
    from svit.models.adapters import ADAPTER_REGISTRY as models_view

    assert models_view is ADAPTER_REGISTRY
    for name in ("slowfast", "ibm", "inflate", "clip", "side4video", "videoswin", "uniformer", "h2cn", "svmix"):
        assert name in ADAPTER_REGISTRY, name
