#!/usr/bin/env python
"""Train then test a video model: ``python tools/run_net.py --cfg FILE [KEY VALUE ...]``.

Works from a source checkout without installing (the repository root is put on sys.path). The
logic lives in svit.engine.launch.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.engine.launch import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
