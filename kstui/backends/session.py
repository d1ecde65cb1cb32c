"""Session: the kubeconfig, the current context, each context's current namespace, and one
Backend per context.

The namespace rule (README "Namespaces"): every context has its own current namespace, at first
the one its kubeconfig entry names (the starting context: `--namespace`, if given). `:ns` changes
the current namespace of the context being browsed. A list opened without a namespace (`:kind`,
the palette's `kind:` entries, a context switch, `:kind @ctx`) lists in its context's current
namespace; `-n NAME` or `:kind NAME` in that one, `-A` or `A` in all of them."""

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
        self._namespaces: dict[str, str] = {context: namespace}
        """Each context's current namespace, once set or asked for; "" is all namespaces."""
        self._readonly = readonly
        """context → why writes are off there ("started with --readonly"), "" when they are on."""
        self.settings = settings or BackendSettings()
        self.aliases: Mapping[str, str] = dict(aliases or {})
        """`:` command aliases from the user's config."""
        self._backends: dict[str, Backend] = {}

    @property
    def namespace(self) -> str:
        """The current context's current namespace; "" means all namespaces."""
        return self.namespace_of(self.context)

    @namespace.setter
    def namespace(self, namespace: str) -> None:
        self.set_namespace(namespace)

    def namespace_of(self, context: str | None = None) -> str:
        """The namespace a list on `context` opens in when none is named: the one `:ns` last
        chose there, else the kubeconfig context's own."""
        name = context or self.context
        if name not in self._namespaces:
            info = self.kubeconfig.contexts.get(name)
            return info.namespace if info is not None else "default"
        return self._namespaces[name]

    def set_namespace(self, namespace: str, context: str | None = None) -> None:
        """`:ns`: the current namespace of `context` (None: the current context)."""
        self._namespaces[context or self.context] = namespace

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
