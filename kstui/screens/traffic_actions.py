"""The slider view's writes (SplitActions, mixed into SplitScreen): each asks first (a
confirmation, or the guard), is sent from an app worker (leaving the view never cancels it),
and a refusal because someone else changed the split shows what changed and asks again."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import KstuiError
from kstui.backends.traffic_bodies import governor_for, offline_loser, offline_refusal
from kstui.backends.traffic_cells import figures_of, health_rows, preview_lines, weights_cell
from kstui.backends.traffic_guard import Verdict, judge
from kstui.backends.traffic_journal import Entry
from kstui.backends.traffic_model import Source, Split, StrategyType
from kstui.backends.traffic_writes import Changed, Written
from kstui.screens.confirm import ConfirmModal
from kstui.screens.failures import error_message, notify_failure
from kstui.screens.polled_view import PolledScreen
from kstui.screens.traffic_modals import Choice, ExactWeight, GuardModal
from kstui.widgets.plain import Plain
from kstui.widgets.slider import Slider

if TYPE_CHECKING:
    from kstui.backends.traffic_health import Health
    from kstui.backends.traffic_service import TrafficService

Make = Callable[[Split], Awaitable[Any]]


def figures_text(split: Split, health: Health) -> str:
    """The health table as lines, for the guard's question."""
    head = "version  weight  ready  req/s  5xx  p95"
    lines = [head]
    for row in health_rows(split, health):
        lines.append("  ".join(row.cells[:6]) + f"   (over {health.window})")
    return "\n".join(lines)


class SplitActions(PolledScreen):
    """The writes of SplitScreen (which reads and shows)."""

    split: Split
    health: Health
    service: TrafficService
    last: Written | None

    # ------------------------------------------------------------------ the slider

    def action_exact(self) -> None:
        slider = self.query_one(Slider)

        def typed(value: int | None) -> None:
            if value is not None:
                slider.set_value(value)

        self.app.push_screen(ExactWeight(self.split.new, slider.value), typed)

    def action_apply(self) -> None:
        weight = self.query_one(Slider).value
        if weight == self.split.template_weight:
            self.notify(
                f"nothing to apply: {self.split.new} is at {weight}% already (move the slider)"
            )
            return
        self._ask_weight(self.split, weight)

    def _ask_weight(self, split: Split, weight: int) -> None:
        self._begin(
            split,
            weight,
            f"set {split.name} to {split.old} {100 - weight}% · {split.new} {weight}%?",
            lambda current: self.service.set_weight(current, weight),
            "Apply",
        )

    # ------------------------------------------------------------------ other actions

    def action_take_over(self) -> None:
        split = self.split
        options = [
            (f"{split.new} takes over (100% of the traffic)", "new"),
            (f"{split.old} takes over (100% of the traffic)", "old"),
        ]
        if split.governor:
            options.append((f"restore: {split.governor} no longer governs", "restore"))

        def picked(choice: str | None) -> None:
            if choice == "restore":
                self._begin(
                    split,
                    None,
                    f"restore {split.name}: clear the governor {split.governor}?",
                    lambda current: self.service.restore(current),
                    "Restore",
                )
            elif choice in ("new", "old"):
                version = split.new if choice == "new" else split.old
                wanted = 100 if choice == "new" else 0
                self._begin(
                    split,
                    wanted,
                    f"{version} takes over {split.name} (100% of its traffic)?",
                    lambda current: self.service.take_over(current, version),
                    "Take over",
                )

        self.app.push_screen(Choice(f"take over {split.name}", options), picked)

    def action_mirror(self) -> None:
        split = self.split
        if split.source is not Source.STRATEGY:
            self.notify("mirroring is switched on a grayscale Strategy", severity="warning")
            return
        on = not split.mirror
        question = (
            f"mirror {split.name}: all traffic to {split.old}, a copy to {split.new}?"
            if on
            else f"stop mirroring {split.name}: {split.old} keeps 100% and governs?"
        )
        self._begin(
            split,
            None,
            question,
            lambda current: self.service.mirror(current, on),
            "Mirror" if on else "Stop",
        )

    def action_offline(self) -> None:
        refusal, deletes = self.offline_text()
        if refusal:
            self.notify(f"cannot offline {self.split.name}: {refusal}", severity="warning")
            return
        self._begin(
            self.split,
            None,
            f"offline {self.split.name}: delete {deletes}?",
            lambda current: self.service.offline(current),
            "Offline",
            dangerous=True,
        )

    def action_undo(self) -> None:
        last = self.last
        if last is None or last.undo is None:
            self.notify("nothing to undo here yet", severity="warning")
            return
        if last.undo.weight is not None:
            what = f"{last.before.new} back to {last.undo.weight}%"
            wanted = last.undo.weight
        else:
            what = f"governor back to {last.undo.governor or '(none)'}"
            wanted = None
        self._begin(
            last.after,
            wanted,
            f"undo on {last.after.name}: {what}?",
            lambda _current: self.service.undo(last),
            "Undo",
        )

    def offline_text(self) -> tuple[str, str]:
        """(why offline is refused, what it deletes)."""
        loser = offline_loser(self.split)
        deletes = f"the Deployment of {loser}, then Strategy {self.split.name}"
        return offline_refusal(self.split), deletes

    # ------------------------------------------------------------------ asking and sending

    def _verdict(self, split: Split, wanted: int | None) -> Verdict | None:
        if wanted is None:
            return None
        return judge(
            split.old, split.new, split.template_weight, wanted, self.health, self.service.guard
        )

    def _begin(
        self,
        split: Split,
        wanted: int | None,
        question: str,
        make: Make,
        yes: str,
        *,
        dangerous: bool = False,
    ) -> None:
        """Ask (the guard if it stops this move, else a confirmation), then send."""
        verdict = self._verdict(split, wanted)

        def answered(go: bool | None) -> None:
            if not go:
                return
            if verdict is not None and verdict.blocked:
                self._record(split, verdict, question)
            self.app.run_worker(
                self._send(split, wanted, question, make, yes),
                group="traffic-write",
                exit_on_error=False,
            )

        if verdict is not None and verdict.blocked:
            modal: Any = GuardModal(
                question, list(verdict.reasons), figures_text(split, self.health)
            )
        else:
            detail = self._detail(split, wanted)
            modal = ConfirmModal(question, detail, yes=yes, dangerous=dangerous)
        self.app.push_screen(modal, answered)

    def _detail(self, split: Split, wanted: int | None) -> str:
        if wanted is None or split.source is not Source.STRATEGY:
            return f"now: {weights_cell(split)}"
        lines = preview_lines(split, wanted)
        if split.type is StrategyType.CANARY:
            key = "tcp" if split.protocol == "tcp" else "http"
            lines.append(
                f"merge patch: spec.template.spec.{key} (whole array), spec.governor "
                f"{json.dumps(governor_for(split, wanted))}, if unchanged since read"
            )
        return "\n".join(lines)

    def _record(self, split: Split, verdict: Verdict, question: str) -> None:
        entry = Entry(
            self.service.clock(),
            split.context,
            split.namespace,
            split.name,
            question.rstrip("?"),
            verdict.reasons,
            figures_of(self.health, (split.old, split.new)),
            self.service.clusters.me,
        )
        try:
            self.service.journal.record(entry)
        except OSError as error:
            self.notify(f"the override could not be recorded: {error}", severity="error")

    async def _send(
        self, split: Split, wanted: int | None, question: str, make: Make, yes: str
    ) -> None:
        """The write, in an app worker: leaving the view never cancels it, and what it gives
        is then said by a notification only."""
        app = self.app
        doing = question.rstrip("?")
        self._say(f"sending: {doing}…")
        try:
            answer = await make(split)
        except Changed as changed:
            self._say(changed.title)
            if changed.after is None or not self.is_attached:
                app.notify(f"{changed.title}: {changed.detail}", severity="error", timeout=15)
                return
            after = self.split = changed.after
            self.query_one(Slider).set_current(after.template_weight)
            again = f"{changed.title}. What changed: {changed.detail}. Ask again on the new state?"

            def retry(go: bool | None) -> None:
                if go:
                    self._begin(after, wanted, question, make, yes)

            app.push_screen(ConfirmModal(again, "", yes="Ask again", dangerous=False), retry)
            return
        except KstuiError as error:
            self._say(error_message(error, hint=False))
            notify_failure(app, error)
            return
        app.notify(f"done: {doing}")
        if not self.is_attached:
            return
        if isinstance(answer, Written):
            self.split = answer.after
            slider = self.query_one(Slider)
            slider.set_current(answer.after.template_weight)
            slider.set_value(answer.after.template_weight)
            if answer.undo is not None:
                self.last = answer
            self._say(f"applied: {doing}" + ("  (U undoes)" if answer.undo else ""))
        else:
            self._say("done: deleted " + ", ".join(answer))
        self.poll()

    def _say(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#status", Plain).update(text)
