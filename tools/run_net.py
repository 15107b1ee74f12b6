#!/usr/bin/env python
"""Train then test a video model: ``python tools/run_net.py --cfg FILE [KEY VALUE ...]``.

Works from a source checkout without installing (the repository root is put on sys.path). The
logic lives in svit.engine.launch.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.engine.cli_errors import report_errors  # noqa: E402
from svit.engine.launch import main  # noqa: E402

if __name__ == "__main__":
    # Data errors (bad lists, label maps, broken datasets, a full disk) print one line; SVIT_DEBUG=1
    # shows their traceback. Config errors and stopped runs are handled inside main().
    sys.exit(report_errors(main))
