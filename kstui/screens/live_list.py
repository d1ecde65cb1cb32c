"""LiveList: one watch-cache subscription shown in a ResourceTable (or only counted).

The loop every live list shares: subscribe to the cache, project each coalesced delta into
table rows, apply it by key (unchanged rows keep their cached strips), clear the pending marks
the watch has echoed back, and say what an empty table means: still loading, nothing there,
forbidden, failing, or a server that stopped answering (the cache keeps the last rows and
reports why they are stale). Screens own one LiveList per list and only add what is theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kstui.backends.cache_rows import CacheDelta, CachedRow, CacheState, TableColumn
from kstui.backends.errors import Forbidden, KstuiError
from kstui.backends.rows import Projection, project, projection
from kstui.model import Tone
from kstui.screens.failures import error_message, problem_text
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.resource_table import ResourceTable

if TYPE_CHECKING:  # the cache brings httpx: not before the first frame
    from kstui.backends.cache_manager import CacheManager

LOADING = "loading…"


class Names(Mapping[str, tuple[str, str]]):
    """Row key → (namespace, name), read from the cached rows the list already shares with
    its cache: no tuple of its own per row (150,000 rows: 10 MiB)."""

    def __init__(self, rows: dict[str, CachedRow]) -> None:
        self.rows = rows

    def __getitem__(self, key: str) -> tuple[str, str]:
        row = self.rows[key]
        return row.namespace, row.name

    def __contains__(self, key: object) -> bool:
        return key in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


class LiveList:
    """The rows of one list path, kept live in `table` (None: names and tones only).

    `names` maps row keys to (namespace, name), `tones` to each row's tone; `pending` holds
    keys written but not yet echoed by the watch (shown by `show_pending`)."""

    def __init__(
        self,
        table: ResourceTable | None = None,
        *,
        bar: ContextBar | None = None,
        coalesce_seconds: float = 0.1,
        empty: Callable[[], str] = lambda: "no rows",
        hint: bool = True,
        pending: set[str] | None = None,
        show_pending: Callable[[], None] | None = None,
        on_loaded: Callable[[], None] | None = None,
        on_delta: Callable[[CacheDelta], None] | None = None,
        stop_when_forbidden: bool = False,
    ) -> None:
        self.table = table
        self.bar = bar
        """When given, its sync time and ⚠ problem follow the cache (stale, failing)."""
        self.coalesce_seconds = coalesce_seconds
        self.empty = empty
        """The text for a complete but empty list ("no pods in payments")."""
        self.hint = hint
        self.pending = pending if pending is not None else set()
        self.show_pending = show_pending
        self.on_loaded = on_loaded
        """Called once, when the first complete list has been applied."""
        self.on_delta = on_delta
        """Called after every applied delta (crumbs, counts)."""
        self.stop_when_forbidden = stop_when_forbidden
        """A list the user may not read ends its subscription (a background list)."""
        self.focus_key: str | None = None
        """Once loaded, the cursor goes to this row (back from the history: where it was)…"""
        self.focus_name = ""
        """… or else to the first row of this name."""
        self.wide = False
        self.with_namespace = False
        self.cached: dict[str, CachedRow] = {}
        self.names = Names(self.cached)
        self.tones: dict[str, Tone] = {}
        self.loaded = False
        self.stopped: KstuiError | None = None
        """Why the list never arrived and nothing is loading now (forbidden, not found): the
        cache only tries again slowly, in case the user is given access."""
        self.view: Projection | None = None
        self.sort_wanted: tuple[str, bool] | None = None
        """A chosen sort (column name, reversed) waiting for the columns of a new list."""
        self.columns: tuple[TableColumn, ...] = ()

    # ------------------------------------------------------------------ the loop

    async def follow(
        self, caches: CacheManager, path: str, *, label_selector: str = "", field_selector: str = ""
    ) -> None:
        """Apply the list's deltas until the caller's worker is cancelled."""
        async with caches.subscribe(
            path, label_selector=label_selector, field_selector=field_selector
        ) as subscription:
            async for delta in subscription.changes(self.coalesce_seconds):
                self.apply(delta)
                if self.stop_when_forbidden and isinstance(delta.error, Forbidden):
                    return

    def apply(self, delta: CacheDelta) -> None:
        if self.view is None or delta.columns != self.columns:
            self.columns = delta.columns
            self.reproject()
        assert self.view is not None
        if delta.reset:
            self.cached.clear()
            self.tones = {}
        cached: list[CachedRow] = delta.upserted
        cached_rows: list[Any] = cached  # CachedRows, read as TableRowLike
        rows = project(cached_rows, self.view)
        kept, tones = self.cached, self.tones
        for row_in, row in zip(cached, rows, strict=True):
            kept[row.key] = row_in
            tones[row.key] = row.tone
        for key in delta.deleted:
            kept.pop(key, None)
            tones.pop(key, None)
        table = self.table
        if table is not None:
            table.apply(rows, delta.deleted, reset=delta.reset)
        if self.pending:
            self.pending -= {row.key for row in cached} | set(delta.deleted)  # echoed back
            if self.show_pending is not None:
                self.show_pending()
        if delta.loaded and not self.loaded:
            self.loaded = True
            self._focus()
            if self.on_loaded is not None:
                self.on_loaded()
        if table is not None and not table.row_count:
            if delta.loaded:
                table.set_empty_message(self.empty())
            if delta.error is not None:
                table.set_empty_message(error_message(delta.error, hint=self.hint))
        failed = delta.state is CacheState.FAILED and not self.loaded
        self.stopped = delta.error if failed else None
        if self.bar is not None:
            self.bar.synced_at = delta.synced_at
            self.bar.problem = problem_text(delta.error) if delta.error is not None else ""
        if self.on_delta is not None:
            self.on_delta(delta)

    def _focus(self) -> None:
        key, self.focus_key = self.focus_key, None
        if key is None and self.focus_name:
            key = next((k for k, (_ns, n) in self.names.items() if n == self.focus_name), None)
        if key is not None and key in self.names and self.table is not None:
            self.table.move_cursor_to(key)

    # ------------------------------------------------------------------ around the loop

    def reproject(self) -> None:
        """Columns (or wide, or all-namespaces) changed: new projection, new table columns."""
        self.view = projection(self.columns, wide=self.wide, with_namespace=self.with_namespace)
        table = self.table
        if table is None:
            return
        # A sort the user chose follows its column by name (`A` puts NAMESPACE in front),
        # through a list that starts again with no columns yet
        index, reverse = table.sort_column, table.sort_reverse
        if (index, reverse) != (0, False) and index < len(table.columns):
            self.sort_wanted = (table.columns[index].name, reverse)
        table.set_columns(self.view.columns)
        names = [column.name for column in table.columns]
        if self.sort_wanted is not None and self.columns:  # the server's columns came
            name, reverse = self.sort_wanted
            self.sort_wanted = None
            if name in names and (names.index(name), reverse) != (
                table.sort_column,
                table.sort_reverse,
            ):
                table.sort_by(names.index(name), reverse=reverse)

    def failed(self, error: KstuiError) -> None:
        """The list could not even start (no connection, unknown kind)."""
        self.stopped = error
        if self.table is not None:
            self.table.set_empty_message(error_message(error, hint=self.hint))
        if self.bar is not None:
            self.bar.problem = problem_text(error)

    def clear(self, *, forget_columns: bool = False) -> None:
        """Drop every row (released, or about to list something else)."""
        self.cached.clear()
        self.tones, self.loaded, self.stopped = {}, False, None
        self.pending.clear()
        if forget_columns:
            self.view, self.columns = None, ()
        if self.table is not None:
            self.table.apply(reset=True)
            self.table.set_pending(())
            self.table.set_empty_message(LOADING)
