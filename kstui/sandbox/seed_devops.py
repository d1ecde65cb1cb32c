"""KubeSphere DevOps beyond seed-objects.yaml: the devops-apiserver Service the DevOps API is
reached through (API.md §9.4)."""

from __future__ import annotations

from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.seed import put

DEVOPS_SYSTEM = "kubesphere-devops-system"


def seed_devops(cluster: SandboxCluster) -> None:
    put(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": DEVOPS_SYSTEM,
                "labels": {
                    "kubesphere.io/workspace": "system-workspace",
                    "kubernetes.io/metadata.name": DEVOPS_SYSTEM,
                },
            },
        },
    )
    put(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "devops-apiserver",
                "namespace": DEVOPS_SYSTEM,
                "labels": {"app.kubernetes.io/name": "devops-apiserver", "app": "devops"},
            },
            "spec": {
                "selector": {"app.kubernetes.io/name": "devops-apiserver"},
                "ports": [{"port": 9090, "targetPort": 9090, "protocol": "TCP"}],
            },
        },
    )
