"""ContextBar: where you are (context, cluster, user, namespace) and how fresh the data is."""

from __future__ import annotations

import time

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from kstui.safe_text import inert_line


def data_age(synced_at: float | None, now: float) -> str:
    if synced_at is None:
        return "loading…"
    seconds = max(0, int(now - synced_at))
    if seconds < 60:
        return f"updated {seconds}s ago"
    if seconds < 3600:
        return f"updated {seconds // 60}m ago"
    return f"updated {seconds // 3600}h ago"


class ContextBar(Widget):
    """One line. The screen sets the attributes; the age ticks by itself once a second."""

    DEFAULT_CSS = """
    ContextBar {
        height: 1;
        background: $panel;
        color: $text;
        text-wrap: nowrap;  /* else a long line wraps, and its end is hidden without a mark */
        text-overflow: ellipsis;
    }
    ContextBar.-stale { background: $warning 30%; }
    ContextBar.-failed { background: $error 30%; }
    """

    context: reactive[str] = reactive("")
    cluster: reactive[str] = reactive("")
    user: reactive[str] = reactive("")
    namespace: reactive[str] = reactive("")
    readonly: reactive[bool] = reactive(False)
    problem: reactive[str] = reactive("")
    """Why the data may be stale (watch down, retrying); empty when live."""
    synced_at: reactive[float | None] = reactive(None, repaint=False)
    """time.monotonic() of the last good answer from the server (set on every watch batch:
    the bar is drawn again only when the age it shows changes)."""

    def __init__(self, *, frozen_age: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._frozen_age = frozen_age
        self._shown_age: tuple[bool, str] | None = None
        """What the bar was last drawn with: whether it had synced, and the age text."""

    def on_mount(self) -> None:
        if self._frozen_age is None:
            self.set_interval(1.0, self._age_moved)

    def watch_synced_at(self) -> None:
        self._age_moved()

    def _age_moved(self) -> None:
        if (self.synced_at is None, self.age_text()) != self._shown_age:
            self.refresh()

    def watch_problem(self, problem: str) -> None:
        self.set_class(bool(problem), "-stale")

    def age_text(self) -> str:
        if self._frozen_age is not None:
            return self._frozen_age
        return data_age(self.synced_at, time.monotonic())

    def render(self) -> Text:
        self._shown_age = (self.synced_at is None, self.age_text())
        # Every name here comes from a kubeconfig or a server: shown inertly, never as markup.
        context, cluster = inert_line(self.context), inert_line(self.cluster)
        text = Text()  # cut to the width, with an ellipsis, by the CSS (Textual's rule)
        text.append(" ⎈ ", style="bold")
        text.append(context or "—", style="bold")
        if cluster and cluster != context:
            text.append(f" ({cluster})", style="dim")
        if self.user:
            text.append(f" │ {inert_line(self.user)}")
        text.append(f" │ ns {inert_line(self.namespace) or 'all'}")
        if self.readonly:
            text.append(" │ ")
            text.append(" READ-ONLY ", style="reverse bold")
        text.append(" │ ")
        if self.problem:
            # Never synced (forbidden from the start): nothing is loading, no age to give.
            age = "" if self.synced_at is None else f" · {self.age_text()}"
            text.append(f"⚠ {inert_line(self.problem)}{age}", style="bold")
        else:
            text.append(self.age_text(), style="dim")
        return text
