"""A KubeClient on the sandbox for backend tests that are not about kubeconfig loading."""

from __future__ import annotations

import ssl

from kstui.backends.kube import KubeClient


class SandboxConnection:
    """A bearer token and the sandbox CA: the simplest Connection."""

    def __init__(self, running, cluster: str = "host", user: str = "admin") -> None:  # type: ignore[no-untyped-def]
        self.context_name = cluster
        self.server = running.url(cluster)
        self.proxy: str | None = None
        self.token = running.token(cluster, user)
        self.verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cadata=running.sandbox.ca_pem.decode())
            if running.sandbox.ca_pem
            else False
        )

    async def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def refresh(self) -> bool:
        return False


def sandbox_client(running, cluster: str = "host", user: str = "admin") -> KubeClient:  # type: ignore[no-untyped-def]
    return KubeClient(SandboxConnection(running, cluster, user))
