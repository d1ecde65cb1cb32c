"""One split's slider, with each version's health beside it.

←/→ move the new version's share by 5, `,`/`.` (and ctrl+←/→) by 1, `%` types an exact value;
the preview shows the routes that would result at once (nothing is sent). ctrl+s applies,
after a confirmation, or after the guard (traffic_guard.py) if it stops the move and the user
overrides it (recorded in the journal). `K` takes over or restores, `V` mirrors on/off,
ctrl+d offlines the losing version (§5.3: take over first), `U` undoes the last write, `-`/`+`
change the figures' window. A write refused because someone else changed the split shows what
changed and asks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding

from kstui.backends.errors import KstuiError
from kstui.backends.traffic_cells import HEALTH_COLUMNS, health_rows, preview_lines, type_cell
from kstui.backends.traffic_guard import Verdict, judge
from kstui.backends.traffic_health import WINDOWS, Health
from kstui.backends.traffic_model import Split
from kstui.backends.traffic_service import TrafficService
from kstui.backends.traffic_writes import Written
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import error_message
from kstui.screens.traffic_actions import SplitActions
from kstui.screens.traffic_modals import open_journal
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.crumbs import Crumbs
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.slider import Slider


@dataclass(frozen=True, slots=True)
class Reading:
    split: Split | None
    health: Health


class SplitScreen(SplitActions):
    poll_seconds: ClassVar[float] = 3.0
    DEFAULT_CSS = """
    SplitScreen #crumbs { padding: 0 1; color: $text-muted; }
    SplitScreen #about { padding: 0 1; height: auto; max-height: 2; }
    SplitScreen Slider { margin: 1 0 0 0; }
    SplitScreen #preview { padding: 0 1; height: 3; color: $text-muted; }
    SplitScreen #preview.-moved { color: $text; text-style: bold; }
    SplitScreen #preview.-guarded { color: $error; text-style: bold; }
    SplitScreen #window { padding: 0 1; margin-top: 1; color: $text-muted; }
    SplitScreen ResourceTable { height: 1fr; min-height: 4; }
    SplitScreen #status { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("left", "move(-5)", "-5", show=False, id="traffic.cursor_left"),
        Binding("right", "move(5)", "+5", show=False, id="traffic.cursor_right"),
        Binding("comma,ctrl+left", "move(-1)", "-1", show=False, id="traffic.fine_left"),
        Binding("full_stop,ctrl+right", "move(1)", "+1", show=False, id="traffic.fine_right"),
        Binding("percent_sign", "exact", "exact", show=False, id="traffic.exact_weight"),
        Binding("ctrl+s", "apply", "apply", id="traffic.send"),
        Binding("K", "take_over", "take over", id="traffic.take_over"),
        Binding("V", "mirror", "mirror", id="traffic.mirror"),
        Binding("ctrl+d", "offline", "offline", id="traffic.delete"),
        Binding("U", "undo", "undo", id="traffic.undo"),
        Binding("L", "journal", "overrides", show=False, id="traffic.journal"),
        Binding("minus", "window(-1)", "window", show=False, id="traffic.shorter_window"),
        Binding("plus", "window(1)", "window", show=False, id="traffic.longer_window"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="traffic.refresh"),
        Binding("escape,q", "back", "back", show=False, id="traffic.back"),
    ]

    GATED: ClassVar[dict[str, str]] = {
        "apply": "patch",
        "take_over": "patch",
        "mirror": "patch",
        "undo": "patch",
        "offline": "delete",
    }

    def __init__(self, env: ScreenEnv, service: TrafficService, split: Split) -> None:
        super().__init__(service, first_frame=env.first_frame)
        self.env = env
        self.service: TrafficService = service
        self.split = split
        self.health = Health(service.guard.window, 0.0, problem="reading…")
        self.window = service.guard.window
        self.last: Written | None = None
        """The last write made here, for undo."""
        if env.frozen_now is not None:
            self.poll_seconds = 3600.0  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        frozen = "updated 0s ago" if self.env.frozen_now is not None else None
        yield ContextBar(id="context-bar", frozen_age=frozen)
        yield Crumbs(self._steps(), id="crumbs")
        yield Plain("", id="about", one_line=True)
        yield Slider(self.split.new, self.split.old, id="slider")
        yield Plain("", id="preview")
        yield Plain("", id="window", one_line=True)
        yield ResourceTable(id="health")
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def _steps(self) -> tuple[str, ...]:
        return ("traffic", self.split.cluster, f"{self.split.namespace}/{self.split.name}")

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(HEALTH_COLUMNS)
        table.set_empty_message("reading the figures…")
        table.can_focus = False
        slider = self.query_one(Slider)
        slider.set_current(self.split.template_weight)
        slider.set_value(self.split.template_weight)
        slider.focus()
        bar = self.query_one(ContextBar)
        bar.context = self.split.context
        bar.namespace = self.split.namespace
        bar.readonly = self.env.session.readonly(self.split.context)
        self._show_split()
        self.poll()
        self.show_identity()
        self.check_permissions()

    def permission_requests(self) -> dict[str, dict[str, str]]:
        where = {
            "context": self.split.context,
            "namespace": self.split.namespace,
            "source": str(self.split.source),
        }
        return {"patch": where, "delete": where}

    def readonly_reason(self) -> str:
        return self.env.session.readonly_reason(self.split.context)

    # ------------------------------------------------------------------ data

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        await self.env.after_first_frame()
        bar = self.query_one(ContextBar)
        bar.user = await self.service.clusters.whoami(bar.context)

    async def fetch(self) -> Reading:
        split = await self.service.read(self.split)
        health = await self.service.health(split or self.split, self.window, self.env.frozen_now)
        return Reading(split, health)

    def show(self, data: Reading) -> None:
        if data.split is None:
            self.query_one("#status", Plain).update(f"{self.split.name} is gone")
        else:
            slider = self.query_one(Slider)
            untouched = slider.value == slider.current
            self.split = data.split
            slider.set_current(self.split.template_weight)
            if untouched:
                slider.set_value(self.split.template_weight)
        self.health = data.health
        self._show_split()

    def show_failure(self, error: KstuiError) -> None:
        self.query_one("#status", Plain).update(error_message(error))

    def _show_split(self) -> None:
        split = self.split
        about = f"{type_cell(split)} · host {split.host} · {split.old} → {split.new}"
        if split.governor:
            about += f" · governor {split.governor}"
        if split.mirror:
            about += f" · mirror → {split.mirror}"
        if split.match:
            about += f" · {split.new} when {split.match}"
        self.query_one("#about", Plain).update(about)
        table = self.query_one(ResourceTable)
        table.sync(health_rows(split, self.health))
        if self.health.problem:
            table.set_empty_message(self.health.problem)
        window = f"health over {self.window} (-/+ window)"
        if self.health.problem:
            window += f" — {self.health.problem}"
        self.query_one("#window", Plain).update(window)
        self._preview(self.query_one(Slider).value)

    def verdict(self, weight: int) -> Verdict:
        return judge(
            self.split.old,
            self.split.new,
            self.split.template_weight,
            weight,
            self.health,
            self.service.guard,
        )

    def _preview(self, weight: int) -> None:
        verdict = self.verdict(weight)
        preview = self.query_one("#preview", Plain)
        # a fixed height: a keystroke repaints the line, never lays the screen out again
        preview.update("\n".join(preview_lines(self.split, weight, verdict)), layout=False)
        preview.set_class(weight != self.split.template_weight, "-moved")
        preview.set_class(verdict.blocked, "-guarded")

    @on(Slider.Changed)
    def _moved(self, event: Slider.Changed) -> None:
        event.stop()
        self._preview(event.value)

    # ------------------------------------------------------------------ keys

    def action_move(self, step: int) -> None:
        self.query_one(Slider).move(step)

    def action_window(self, step: int) -> None:
        names = list(WINDOWS)
        index = max(0, min(len(names) - 1, names.index(self.window) + step))
        if names[index] != self.window:
            self.window = names[index]
            self.poll()

    def action_journal(self) -> None:
        open_journal(self, self.service)

    def action_refresh(self) -> None:
        self.service.prometheus_of.forget()
        self.poll()

    def action_back(self) -> None:
        self.dismiss(None)
