"""ChartPane: the Observe section's chart of the selected row: CPU, memory and network of one
Target over 15m / 1h / 6h / 24h / 7d (`-` shorter, `+` longer), loaded in a worker; a time
cursor (UsageChart: left/right, shift for ten steps, home/end); `l` asks for the logs of the
minutes around the cursor (posts `LogsAt`, the section opens them).

When Prometheus cannot answer, the chart's line says which, in one line (the PrometheusError's
own: absent, down, forbidden, unauthorized, slow, PromQL error, failed, unreachable); the
pane's keys keep working and the next load tries again.

The section embeds it as
    ChartPane(lambda target, window: usage_history(prometheus, target, window), id="chart")
calls `show_target(Target(...), "pod shop/web-1")` as its cursor moves, and on `LogsAt` opens
`observe_open.window_logs(session, context, namespace, pods=... or selector=..., start=, end=)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from kstui.backends.errors import KstuiError
from kstui.backends.observe_history import UsageHistory
from kstui.backends.prometheus import PrometheusError
from kstui.backends.prometheus_queries import WINDOWS, Target
from kstui.widgets.plain import Plain
from kstui.widgets.usage_chart import UsageChart

Load = Callable[[Target, str], Awaitable[UsageHistory]]
WINDOW_NAMES: tuple[str, ...] = tuple(WINDOWS)
DEFAULT_WINDOW = "1h"
AROUND_MIN_SECONDS = 120.0
"""`l` asks for the cursor's moment ± this, or ± one step of a longer window's grid."""


def around(moment: float, step: float) -> tuple[float, float]:
    """The minutes around a cursor's moment whose logs `l` shows."""
    half = max(step, AROUND_MIN_SECONDS)
    return moment - half, moment + half


class ChartPane(Widget):
    DEFAULT_CSS = """
    ChartPane { height: 1fr; min-height: 8; }
    ChartPane #chart-title {
        height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ChartPane.-paned:focus-within #chart-title { background: $accent; color: $text; }
    ChartPane UsageChart { padding: 0 1 0 0; }
    """
    BINDINGS = [
        Binding("minus", "window(-1)", "shorter", id="chart.shorter_window"),
        Binding("plus", "window(1)", "longer", id="chart.longer_window"),
        Binding("l", "logs", "logs at cursor", id="chart.logs"),
        Binding("ctrl+r", "reload", "refresh", show=False, id="chart.refresh"),
    ]

    class LogsAt(Message):
        """The logs of `target`'s pods from `start` to `end` (unix seconds) are wanted."""

        def __init__(self, target: Target, start: float, end: float) -> None:
            super().__init__()
            self.target, self.start, self.end = target, start, end

    class WindowChanged(Message):
        """`-`/`+` chose another window (the section keeps its table's window the same)."""

        def __init__(self, window: str) -> None:
            super().__init__()
            self.window = window

    class Drawn(Message):
        """The pane now shows `state`: shown, or a failure's kind (its one line)."""

        def __init__(self, state: str) -> None:
            super().__init__()
            self.state = state

    def __init__(self, load: Load, *, id: str | None = None, paned: bool = False) -> None:
        """`paned`: beside another pane (the section's table): the title says which has the
        keys (tab) and is highlighted while the chart has them."""
        super().__init__(id=id, classes="-paned" if paned else None)
        self.paned = paned
        self.load = load
        self.target: Target | None = None
        self.title = ""
        self.window = DEFAULT_WINDOW
        self.history: UsageHistory | None = None
        self.state = "empty"
        """empty, loading, shown or the PrometheusError's kind (failed for any other error)."""
        self.failure = ""
        """The one line a failed load said."""

    def compose(self) -> ComposeResult:
        yield Plain("no row chosen", id="chart-title", one_line=True)
        yield UsageChart(id="usage")

    @property
    def chart(self) -> UsageChart:
        return self.query_one(UsageChart)

    # ------------------------------------------------------------------ data in
    def on_mount(self) -> None:
        if self.target is not None:  # chosen before the pane was mounted
            self._reload()

    def show_target(self, target: Target, title: str) -> None:
        """Chart `target` (its window kept); a new target starts from a cleared chart."""
        changed = target != self.target or title != self.title  # one Target, two clusters
        self.target, self.title = target, title
        if not self.is_mounted:
            return
        if changed:
            self.history = None
            self.chart.clear(f"loading {self.window} …")
        self._reload()

    def say(self, title: str, line: str) -> None:
        """No chart for this row (one the user may not read): `line` says why."""
        self.target, self.title = None, title
        if self.is_mounted:
            self._failed("denied", line)

    def _reload(self) -> None:
        if self.target is None:
            return
        self.state = "loading"
        self._show_title()
        self._load(self.target, self.window)

    def _show_title(self) -> None:
        windows = " ".join(f"[{w}]" if w == self.window else w for w in WINDOW_NAMES)
        loading = " · loading …" if self.state == "loading" else ""
        focus = ""
        if self.paned:
            focus = " · tab: table" if self.has_focus_within else " · tab: chart"
        text = f"{self.title} · {windows} (-/+){loading}{focus}" if self.title else "no row chosen"
        self.query_one("#chart-title", Plain).update(text)

    @work(exclusive=True, group="chart", exit_on_error=False)
    async def _load(self, target: Target, window: str) -> None:
        try:
            history = await self.load(target, window)
        except PrometheusError as error:
            self._failed(error.kind, error.line)
            return
        except KstuiError as error:
            self._failed("failed", f"chart failed: {error.title} {error.detail}".strip())
            return
        except Exception as error:  # a loader's bug is one line, not a crash
            self._failed("failed", f"chart failed: {type(error).__name__}: {error}")
            return
        if target != self.target or window != self.window:
            return  # a late answer for what is no longer shown
        self.history, self.state, self.failure = history, "shown", ""
        series = {str(metric): points for metric, points in history.series.items()}
        self.chart.show(history.start, history.end, history.step, series)
        self._show_title()
        self.post_message(self.Drawn(self.state))

    def _failed(self, kind: str, line: str) -> None:
        self.history, self.state, self.failure = None, kind, " ".join(line.split())
        self.chart.clear(self.failure)
        self._show_title()
        self.post_message(self.Drawn(self.state))

    def on_descendant_focus(self) -> None:
        self._show_title()

    def on_descendant_blur(self) -> None:
        self._show_title()

    def set_window(self, window: str) -> None:
        """Show `window` (the section's `z`): reloaded when it is another."""
        if window != self.window:
            self.window = window
            if self.is_mounted:
                self._reload()

    # ------------------------------------------------------------------ keys
    def action_window(self, by: int) -> None:
        index = WINDOW_NAMES.index(self.window) + by
        if not 0 <= index < len(WINDOW_NAMES):
            edge = "shortest" if by < 0 else "longest"
            self.notify(f"{self.window} is the {edge} window", severity="warning")
            return
        self.window = WINDOW_NAMES[index]
        self._reload()
        self.post_message(self.WindowChanged(self.window))

    def action_reload(self) -> None:
        self._reload()

    def action_logs(self) -> None:
        if self.target is None or self.history is None:
            self.notify("no chart to take a moment from", severity="warning")
            return
        start, end = around(self.chart.cursor_time, self.history.step)
        self.post_message(self.LogsAt(self.target, start, end))
