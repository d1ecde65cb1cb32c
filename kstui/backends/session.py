"""Session: the kubeconfig, the current context and namespace, and one Backend per context."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from kstui.backends.backend import Backend, BackendSettings
from kstui.backends.kubeconfig import KubeConfig


class Session:
    """What every screen shares. Backends open lazily, so `:po @member` costs nothing until
    it is used; switching context closes the backends no screen needs any more."""

    def __init__(
        self,
        kubeconfig: KubeConfig,
        context: str,
        namespace: str,
        *,
        readonly: Callable[[str], str] = lambda _context: "",
        settings: BackendSettings | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self.namespace = namespace
        """The namespace lists open in; "" means all namespaces."""
        self._readonly = readonly
        """context → why writes are off there ("started with --readonly"), "" when they are on."""
        self.settings = settings or BackendSettings()
        self.aliases: Mapping[str, str] = dict(aliases or {})
        """`:` command aliases from the user's config."""
        self._backends: dict[str, Backend] = {}

    def known_namespaces(self, context: str | None = None) -> set[str]:
        backend = self._backends.get(context or self.context)
        return set(backend.namespace_names) if backend is not None else set()

    @property
    def contexts(self) -> list[str]:
        return sorted(self.kubeconfig.contexts)

    def readonly(self, context: str | None = None) -> bool:
        return bool(self._readonly(context or self.context))

    def readonly_reason(self, context: str | None = None) -> str:
        """Why writes are refused on `context` ("" when they are not)."""
        return self._readonly(context or self.context)

    def backend(self, context: str | None = None) -> Backend:
        name = context or self.context
        backend = self._backends.get(name)
        if backend is None:
            backend = Backend(self.kubeconfig, name, self.settings)
            self._backends[name] = backend
        return backend

    def opened(self) -> list[Backend]:
        return list(self._backends.values())

    async def close_others(self, keep: str) -> None:
        """Close every backend but `keep` (after a context switch)."""
        stale = [name for name in self._backends if name != keep]
        await asyncio.gather(
            *(self._backends.pop(name).aclose() for name in stale), return_exceptions=True
        )

    async def aclose(self) -> None:
        backends, self._backends = list(self._backends.values()), {}
        await asyncio.gather(*(b.aclose() for b in backends), return_exceptions=True)
