"""kstui: a terminal workstation for KubeSphere-style Kubernetes platforms."""

__version__ = "0.1.0"
