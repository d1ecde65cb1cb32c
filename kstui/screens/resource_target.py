"""What a resource list shows and what its actions work on: the Target it lists, the Selection
under its cursor, the Reading it waits for, and the ResourceHost that the drill-down routes
(resource_routes.py) and write actions (resource_writes.py) see of the ResourcesScreen."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Protocol, TypeVar

from textual.app import App
from textual.screen import Screen

from kstui.backends.backend import Backend
from kstui.backends.kinds import ResourceKind
from kstui.backends.session import Session
from kstui.screens.sending import WriteHost

T = TypeVar("T")


class Selection(NamedTuple):
    """The object under the cursor: enough to fetch it and to name it to the user."""

    key: str
    namespace: str
    name: str
    kind: ResourceKind

    @property
    def label(self) -> str:
        if self.namespace:
            return f"{self.kind.kind} {self.namespace}/{self.name}"
        return f"{self.kind.kind} {self.name}"


class Reading:
    """A fetch for a view. Only the current one may open its view: esc, another row or
    another fetch make it stale, and a slow server's late answer is then dropped. Compared by
    identity: two fetches of the same row are two readings."""

    __slots__ = ("key", "what")

    def __init__(self, what: str, key: str) -> None:
        self.what, self.key = what, key


class Readings:
    """The one Reading whose view may still open. `changed` shows it (beside the crumbs);
    `cancel_fetch` stops the worker fetching it."""

    def __init__(self, changed: Callable[[], object], cancel_fetch: Callable[[], object]) -> None:
        self.current: Reading | None = None
        self._changed = changed
        self._cancel_fetch = cancel_fetch

    def begin(self, what: str, picked: Selection) -> Reading:
        self.current = Reading(what, picked.key)
        self._changed()
        return self.current

    def end(self, reading: Reading) -> bool:
        """True when this fetch is still wanted: then its view may open."""
        if self.current is not reading:
            return False
        self.current = None
        self._changed()
        return True

    async def read(
        self, what: str, picked: Selection, fetch: Callable[[], Awaitable[T]]
    ) -> T | None:
        """`fetch()` shown as loading beside the crumbs; its answer, or None when it is no
        longer wanted (esc, another row, another view, the prompt opening)."""
        reading = self.begin(what, picked)
        try:
            got = await fetch()
        finally:
            wanted = self.end(reading)
        return got if wanted else None

    def cancel(self) -> bool:
        if self.current is None:
            return False
        self.current = None
        self._cancel_fetch()
        self._changed()
        return True

    def moved_to(self, key: str | None) -> None:
        """The cursor moved: a view asked for another row is no longer wanted."""
        if self.current is not None and key != self.current.key:
            self.cancel()


class Target(NamedTuple):
    """What a ResourcesScreen lists."""

    kind: str
    """Any alias: `po`, `deployments.apps`, `workspacetemplates`."""
    namespace: str | None = None
    """None: the session's namespace; "": all namespaces."""
    context: str | None = None
    selector: str = ""
    field_selector: str = ""
    focus: str = ""
    """Put the cursor on this name once it is listed."""
    crumb: str = ""


def crumb_label(
    target: Target, kind: ResourceKind | None, namespace: str, context: str = ""
) -> str:
    """What a list shows, for its breadcrumbs: `pods(payments) -l app=web`; `context` when
    it is not the app's: `pods(default)@member`."""
    if kind is not None and not kind.namespaced:
        label = kind.resource  # cluster-scoped: no namespace to name
    else:
        label = f"{kind.resource if kind else target.kind}({namespace or 'all'})"
    if context:
        label += f"@{context}"
    if target.selector:
        label += f" -l {target.selector}"
    if target.field_selector:
        label += f" --field-selector {target.field_selector}"
    return f"{target.crumb} › {label}" if target.crumb else label


def empty_text(target: Target, kind: ResourceKind | None, namespace: str) -> str:
    """What a complete but empty list says, and where it looked: `no pods in namespace
    payments`, `no ingresses in any namespace`, `no pods matching app=web in …`."""
    selectors = ", ".join(s for s in (target.selector, target.field_selector) if s)
    text = f"no {kind.resource if kind else target.kind}"
    if selectors:
        text += f" matching {selectors}"
    if kind is not None and not kind.namespaced:
        return text
    return f"{text} in namespace {namespace}" if namespace else f"{text} in any namespace"


class ResourceHost(WriteHost, Protocol):
    """The screen that routes and writes act for (ResourcesScreen)."""

    session: Session
    backend: Backend
    target: Target
    frozen_now: float | None
    readings: Readings

    @property
    def app(self) -> App[Any]: ...

    @property
    def context(self) -> str: ...

    def crumbs(self) -> str: ...

    def selected(self) -> Selection | None: ...

    def child(self, target: Target) -> Screen[Any]: ...

    def notify(self, message: str, *, severity: Any = ...) -> None: ...

    def send(
        self, key: str, doing: str, what: str, write: Callable[[], Awaitable[object]]
    ) -> None: ...
