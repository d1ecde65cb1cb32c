"""The Observe section: drill down from the clusters to a container with usage now, history
and problems at every level (observe_service.py reads; observe_levels.py makes the rows).

Two trees under each cluster: nodes > node > its pods, and workspaces > project > workloads >
workload > pods > pod > containers. Every level is a polled table (PolledScreen); Enter opens
the next level and q/esc goes back up; `<` `>` `=` sort (numbers largest first: top-N by CPU
or memory), `z` changes the history window. A container's Enter opens its logs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer

from kstui.backends.errors import KstuiError
from kstui.backends.observe_cells import (
    cpu_cell,
    memory_cell,
    network_cell,
    problems_cell,
    ratio,
    sparkline,
)
from kstui.backends.observe_history import UsageHistory, aligned_end
from kstui.backends.observe_levels import SEVERE, LevelRow
from kstui.backends.observe_logs import pick_logs
from kstui.backends.observe_place import Place, chart_title, child
from kstui.backends.observe_service import Level, ObserveService
from kstui.backends.prometheus_queries import WINDOWS, Target
from kstui.model import Column, Row, Tone
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import error_message
from kstui.screens.observe_chart import ChartPane
from kstui.screens.observe_open import picked_logs
from kstui.screens.polled_view import PolledScreen
from kstui.screens.sections import FIRST_VIEW
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.crumbs import Crumbs
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable

FULL = 0.9
"""A row using this share of its limit (or a node of its allocatable) is marked."""
SPARK_WIDTH = 10
LEAVES = ("pod",)
"""Levels whose rows (containers) open logs rather than another level."""


WIDE = 110
"""At this width and above the table also shows network and pod counts."""


FOLLOW_SECONDS = 0.3
"""The chart follows the table's cursor once it rests this long (fast j/k asks nothing)."""
SHORT = 32
"""Below this height the chart is compact (the table keeps most rows) until it has the keys;
then it takes the room and the table keeps a few rows."""


SAMPLED = "CPU seen"
"""The history column's title when it shows the samples kstui has seen this session (no
Prometheus): short enough to stay whole at 80 columns."""


def columns(
    place: Place, window: str, wide: bool = True, sampled: bool = False
) -> tuple[Column, ...]:
    """NAME (the level is in the breadcrumbs), usage now, history, restarts, problems; and
    network and pods when the terminal is wide enough."""
    found = [
        Column("NAME", max_width=48),
        Column("CPU", numeric=True, max_width=14),
        Column("MEM", numeric=True, max_width=14),
        Column(SAMPLED if sampled else f"CPU {window}", max_width=max(len(SAMPLED), SPARK_WIDTH)),
        Column("RESTARTS", numeric=True),
        Column("PROBLEMS", max_width=40),
    ]
    if wide:
        found.append(Column("NET ↓/↑", numeric=True, max_width=14))
        if place.level not in ("node", "workload", "pod"):
            found.append(Column("PODS", numeric=True))
    return tuple(found)


def level_row(place: Place, row: LevelRow, wide: bool = True) -> Row:
    denied = row.extra.get("denied", "")
    cells = [
        row.name,
        "—" if denied else cpu_cell(row),
        "—" if denied else memory_cell(row),
        sparkline(row.history, SPARK_WIDTH),
        str(row.restarts),
        denied or problems_cell(row),
    ]
    if wide:
        cells.append(network_cell(row))
        if place.level not in ("node", "workload", "pod"):
            cells.append(str(row.pods))
    if denied:
        tone = Tone.MUTED
    elif any(p in SEVERE for p in row.problems):
        tone = Tone.ERROR
    elif row.problems or ratio(row) >= FULL:
        tone = Tone.WARN
    else:
        tone = Tone.NORMAL
    return Row(row.key, tuple(cells), tone)


class ObserveScreen(PolledScreen):
    """One level of the Observe trees (the section's first screen is the clusters)."""

    poll_seconds: ClassVar[float] = 5.0
    """metrics.k8s.io moves every 15 s; a cluster-wide level lists every pod each time."""

    DEFAULT_CSS = """
    ObserveScreen #crumbs { padding: 0 1; color: $text-muted; }
    ObserveScreen #history { height: auto; max-height: 2; padding: 0 1; color: $warning; }
    ObserveScreen #notes { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    ObserveScreen #status { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    ObserveScreen #status.-denied { color: $warning; text-style: bold; }
    ObserveScreen ResourceTable { height: 1fr; }
    ObserveScreen #chart-room { height: 40%; min-height: 11; }
    ObserveScreen.-short #chart-room { height: 11; }
    ObserveScreen.-short.-charting #chart-room { height: 1fr; }
    ObserveScreen.-short.-charting ResourceTable { height: 6; }
    ObserveScreen.-chart-failed #chart-room, ObserveScreen.-short.-chart-failed #chart-room {
        height: 4; min-height: 4;
    }
    ObserveScreen.-short.-charting.-chart-failed ResourceTable { height: 1fr; }
    ObserveScreen.-chart-failed ChartPane { min-height: 4; }
    ObserveScreen.-chart-failed UsageChart { min-height: 3; }
    """
    BINDINGS = [
        Binding("greater_than_sign", "sort(1)", "sort →", show=False, id="observe.sort_next"),
        Binding("less_than_sign", "sort(-1)", "sort ←", show=False, id="observe.sort_prev"),
        Binding("equals_sign", "sort(0)", "reverse", show=False, id="observe.sort_reverse"),
        Binding("z", "window", "window", id="observe.window"),
        # with the chart's keys: the next/previous row, the chart follows (the table's own
        # j/k answer first while the table has the keys)
        Binding("down,j", "row(1)", "next row", show=False, id="observe.cursor_down"),
        Binding("up,k", "row(-1)", "previous row", show=False, id="observe.cursor_up"),
        Binding(
            "tab,right_square_bracket", "pane", "table/chart", show=False, id="observe.next_pane"
        ),
        Binding(
            "shift+tab,left_square_bracket",
            "pane",
            "table/chart",
            show=False,
            id="observe.previous_pane",
        ),
        Binding("l", "logs", "logs", show=False, id="observe.logs"),
        Binding("ctrl+r", "refresh", "refresh", id="observe.refresh"),
        Binding("escape,q", "back", "back", show=False, id="observe.back"),
    ]

    def __init__(
        self,
        env: ScreenEnv,
        service: ObserveService,
        place: Place | None = None,
        steps: tuple[str, ...] = (),
    ) -> None:
        super().__init__(service, first_frame=env.first_frame)
        self.env = env
        self.service: ObserveService = service
        self.place = place or Place("clusters")
        self.steps = (*steps, self.place.crumb)
        self.rows: dict[str, LevelRow] = {}
        """By key, as last read."""
        self.level: Level | None = None
        self.wide = True
        """Whether the terminal has room for network and pod counts."""
        self.chart_context = self.place.context
        """The context of the row the chart shows (rows of the clusters level differ)."""
        self._follow: Timer | None = None
        if env.frozen_now is not None:
            self.poll_seconds = 3600.0  # type: ignore[misc]  # snapshots: one read, one sample

    def compose(self) -> ComposeResult:
        frozen = "updated 0s ago" if self.env.frozen_now is not None else None
        yield ContextBar(id="context-bar", frozen_age=frozen)
        yield Crumbs(self.steps, id="crumbs")
        yield Plain("", id="history", one_line=True)
        yield ResourceTable(id="table")
        with Vertical(id="chart-room"):  # the chart of the selected row
            yield ChartPane(self._chart_load, id="chart", paned=True)
        yield Plain("", id="notes", one_line=True)
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        self.wide = self.app.size.width >= WIDE
        table.set_columns(self.columns())
        table.set_empty_message("loading…")
        if self.env.frozen_now is not None:
            table.freeze_time(self.env.frozen_now)
        table.focus()
        self.set_class(self.app.size.height < SHORT, "-short")
        self.query_one(ChartPane).set_window(self.service.history.window)
        session = self.env.session
        bar = self.query_one(ContextBar)
        bar.context = self.place.context or session.context
        bar.namespace = self.place.namespace or "(observe)"
        bar.readonly = session.readonly(bar.context)
        for line in ("#history", "#notes"):
            self.query_one(line, Plain).display = False
        self.poll()
        self.show_identity()

    # ------------------------------------------------------------------ data

    async def fetch(self) -> Level:
        level = await self.service.now(self.place)
        if not self.loaded:  # the first rows at once; their history when Prometheus answers
            self.show(level)
        return await self.service.with_history(self.place, level, now=self.env.frozen_now)

    def show(self, data: Level) -> None:
        self.level = data
        self.rows = {row.key: row for row in data.rows}
        table = self.query_one(ResourceTable)
        if table.columns != self.columns():
            table.set_columns(self.columns())
        table.sync([level_row(self.place, row, self.wide) for row in data.rows])
        table.set_empty_message(data.denied or self.place.empty)
        for line, text in (("#history", data.history), ("#notes", "; ".join(data.notes))):
            widget = self.query_one(line, Plain)
            widget.update(text)
            widget.display = bool(text)
        self.query_one(Crumbs).show(self.steps, f"[{table.row_count}]")
        if not data.rows:
            self.set_class(True, "-chart-failed")  # no row, no chart: the room is the table's
            self.query_one(ChartPane).say("nothing to chart", data.denied or self.place.empty)
        self._follow_cursor(at_once=self.query_one(ChartPane).target is None)

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        await self.env.after_first_frame()
        bar = self.query_one(ContextBar)
        bar.user = await self.service.clusters.whoami(bar.context)

    def show_failure(self, error: KstuiError) -> None:
        table = self.query_one(ResourceTable)
        if not table.row_count:
            table.set_empty_message(error_message(error))

    def selected(self) -> LevelRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.rows.get(key) if key is not None else None

    def selected_target(self) -> Target | None:
        """What the chart pane shows for the row under the cursor."""
        row = self.selected()
        return row.target if row is not None else None

    # ------------------------------------------------------------------ the chart

    async def _chart_load(self, target: Target, window: str) -> UsageHistory:
        return await self.service.usage(self.chart_context, target, window, self.env.frozen_now)

    @on(ResourceTable.CursorMoved)
    def _cursor_moved(self, event: ResourceTable.CursorMoved) -> None:
        event.stop()
        self._follow_cursor()

    def _follow_cursor(self, at_once: bool = False) -> None:
        """The chart shows the row under the cursor once the cursor rests."""
        if self._follow is not None:
            self._follow.stop()
            self._follow = None
        if at_once:
            self.call_after_refresh(self._chart_follow)
        else:
            self._follow = self.set_timer(FOLLOW_SECONDS, self._chart_follow)

    def _chart_follow(self) -> None:
        self._follow = None
        chart = self.query_one(ChartPane)
        row = self.selected()
        if row is None:
            return
        title = chart_title(self.place, row)
        if row.extra.get("denied"):
            if chart.title != title or chart.state != "denied":
                chart.say(title, row.extra["denied"])
            return
        context = self.place.context or row.context
        if row.target != chart.target or title != chart.title:
            self.chart_context = context
            chart.show_target(row.target, title)
        elif (
            self.env.frozen_now is None
            and chart.history is not None
            and aligned_end(chart.window) > chart.history.end
        ):
            chart.action_reload()  # the window's newest step has passed
        elif chart.failure and chart.state != "denied" and self.level and not self.level.history:
            chart.action_reload()  # Prometheus answers the table again: the chart tries too

    @on(ChartPane.WindowChanged)
    def _chart_window(self, event: ChartPane.WindowChanged) -> None:
        event.stop()
        self._set_window(event.window)

    @on(ChartPane.Drawn)
    def _chart_drawn(self, event: ChartPane.Drawn) -> None:
        """A chart that cannot be drawn (its one line) leaves its room to the table."""
        event.stop()
        self.set_class(event.state != "shown", "-chart-failed")

    @on(ChartPane.LogsAt)
    def _logs_at(self, event: ChartPane.LogsAt) -> None:
        event.stop()
        self._open_logs(event.start, event.end)

    def on_descendant_focus(self) -> None:
        self.set_class(self.query_one(ChartPane).has_focus_within, "-charting")

    def action_row(self, step: int) -> None:
        table = self.query_one(ResourceTable)
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_pane(self) -> None:
        """tab: the keys go to the chart, or back to the table."""
        if self.query_one(ChartPane).has_focus_within:
            self.query_one(ResourceTable).focus()
        else:
            self.query_one(ChartPane).chart.focus()

    # ------------------------------------------------------------------ keys

    @on(ResourceTable.RowChosen)
    def _open(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        row = self.rows.get(event.key)
        if row is None:
            return
        if row.extra.get("denied"):
            self.set_status(row.extra["denied"], alert=True)
            return
        if self.place.level in LEAVES:
            self.action_logs()
            return
        following = child(self.place, row)
        if following is not None:
            self.app.push_screen(ObserveScreen(self.env, self.service, following, self.steps))

    def action_logs(self) -> None:
        """l in the table: the row's pods' logs, followed (the chart's l: its cursor's)."""
        self._open_logs(None, None)

    @work(group="logs", exclusive=True, exit_on_error=False)
    async def _open_logs(self, start: float | None, end: float | None) -> None:
        row = self.selected()
        if row is None:
            self.set_status("l: no row chosen", alert=True)
            return
        try:
            pick = await pick_logs(self.service, self.place, row)
        except KstuiError as error:
            self.set_status(f"l: {error_message(error)}", alert=True)
            return
        if pick.why:
            self.set_status(f"l: {pick.why}", alert=True)
            return
        await self.app.push_screen(picked_logs(self.env.session, pick, start=start, end=end))

    def action_sort(self, step: int) -> None:
        table = self.query_one(ResourceTable)
        if step == 0:
            table.sort_by(table.sort_column, reverse=not table.sort_reverse)
            return
        count = len(table.columns)
        index = (table.sort_column + step) % count
        table.sort_by(index, reverse=table.columns[index].numeric)  # numbers: largest first

    def action_window(self) -> None:
        names = list(WINDOWS)
        window = self.service.history.window
        self._set_window(names[(names.index(window) + 1) % len(names)])

    def _set_window(self, window: str) -> None:
        """One window for the table's sparklines and the chart (`z`, or the chart's -/+)."""
        self.service.history.window = window
        self.query_one(ChartPane).set_window(window)
        self.query_one(ResourceTable).set_columns(self.columns())
        self.set_status(f"history window {window}")
        self.poll()

    def action_refresh(self) -> None:
        self.service.forget()
        self.poll()
        self.query_one(ChartPane).action_reload()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.notify(FIRST_VIEW, timeout=3)

    def columns(self) -> tuple[Column, ...]:
        sampled = self.level is not None and bool(self.level.history)
        return columns(self.place, self.service.history.window, self.wide, sampled)

    def on_resize(self) -> None:
        self.set_class(self.app.size.height < SHORT, "-short")
        wide = self.app.size.width >= WIDE
        if wide != self.wide:
            self.wide = wide
            self.query_one(ResourceTable).set_columns(self.columns())
            if self.level is not None:
                self.show(self.level)

    def on_screen_resume(self) -> None:
        self.wide = self.app.size.width >= WIDE
        table = self.query_one(ResourceTable)
        if table.columns != self.columns():
            table.set_columns(self.columns())
        self.set_class(self.app.size.height < SHORT, "-short")
        self.query_one(ChartPane).set_window(self.service.history.window)  # a deeper level's z
        super().on_screen_resume()


def observe_screen(env: ScreenEnv, service: Any) -> ObserveScreen:
    return ObserveScreen(env, service)
