"""kstui: a terminal workstation for KubeSphere-style Kubernetes platforms."""

import os

__version__ = "0.1.0"

# Textual draws at most TEXTUAL_FPS frames a second and a key waits for the next frame slot:
# at its default 60, a key pressed just after a watch batch's frame waited up to 16.7 ms for
# its own (bench/tui.py at 10k pods under churn: cursor p95 14.8-16.8 ms, page 20.3 ms; at 120:
# 7.9 and 10.6 ms). Frames come only when something changed, so an idle screen costs nothing
# more. Read when Textual is first imported, which is after this; the environment still wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
