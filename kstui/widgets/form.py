"""FormModal: a titled form of declared fields that validates, sends and shows the answer.

A screen subclasses it with `fields()` (a list of `Field`s from form_fields), `send(values)`
(the write, run in a worker) and, when it needs them, `check(values)` (rules across fields),
`can_send(values)` (e.g. the typed name matches) and `preview(values)` (a dry run, ctrl+y).

- The first field (or the one declared `focus=True`) has the focus when the form opens; after a
  refused send, the first field in error has it.
- Each field is checked as it is edited; its message clears as soon as the value is fixed.
- enter in a one-line field sends, ctrl+s sends from anywhere, esc cancels.
- A send in flight disables the button and ignores another send or esc.
- An error from `send` is shown in the outcome area and, where the server named a field (a
  422's causes, AlreadyExists on metadata.name), on that field: see `explain`.
Errors are read by their attributes (title, detail, hint, reason, causes): widgets never
import the backends that raise them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    RadioSet,
    Select,
    SelectionList,
    Static,
    TextArea,
)

from kstui.widgets.form_fields import (
    Field,
    compose_field,
    is_empty,
    problem_of,
    read,
    set_choices,
)
from kstui.widgets.plain import Plain

Values = dict[str, Any]
Written = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FormResult:
    """What a form reports to the screen that opened it."""

    summary: str
    """One sentence for the notification ("created workspace acme-retail")."""
    written: tuple[dict[str, Any], ...] = ()
    """The objects as the server answered them."""
    partial: bool = False
    """Closed after a partly done change: some steps were written."""


def error_text(error: BaseException) -> str:
    """Title, detail and hint, one per line; the hint of a 409 only when it is a conflict."""
    title = getattr(error, "title", None)
    if not isinstance(title, str):
        return f"✗ {type(error).__name__}: {error}"
    hint = getattr(error, "hint", "")
    if getattr(error, "reason", "") == "AlreadyExists":
        hint = ""  # a name taken is no conflict: reloading would not help
    detail = getattr(error, "detail", "")
    return "\n".join(part for part in (f"✗ {title}", detail, hint) if part)


def path_matches(path: str, prefixes: Sequence[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)


class FormModal(ModalScreen[FormResult | None]):
    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > #form {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    FormModal.-danger > #form { border: thick $error; }
    FormModal .title { text-style: bold; color: $primary; margin-bottom: 1; }
    FormModal.-danger .title { color: $error; }
    FormModal .detail { color: $text-muted; margin-bottom: 1; }
    FormModal .field { height: auto; margin-bottom: 1; }
    FormModal .field > Label { width: 17; color: $text-muted; }
    FormModal .field > Input, FormModal .field > Select { width: 1fr; }
    FormModal .field > SelectionList { height: auto; max-height: 6; width: 1fr; }
    FormModal .field > RadioSet { width: 1fr; height: auto; }
    FormModal .field.-tall > TextArea { height: 8; }
    FormModal > #form > RadioSet { width: 1fr; height: auto; margin-bottom: 1; }
    FormModal .field-error { color: $error; padding-left: 17; display: none; height: auto; }
    FormModal .field-error.-shown { display: block; margin-bottom: 1; }
    FormModal #outcome { height: auto; display: none; }
    FormModal #outcome.-shown { display: block; margin-bottom: 1; }
    FormModal #outcome.-error { color: $error; }
    FormModal #foot { height: auto; }
    FormModal #buttons { height: auto; align-horizontal: right; }
    FormModal #buttons Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "cancel", id="form.cancel"),
        Binding("ctrl+s", "send", "send", priority=True, id="form.send"),
        Binding("ctrl+y", "preview", "preview", id="form.preview"),
    ]
    SEND_LABEL = "Save"
    HINT = "tab: next field · enter or ctrl+s: send · esc: cancel"

    def __init__(self, title: str, *, detail: str = "", danger: bool = False) -> None:
        super().__init__()
        self.form_title = title
        self.detail = detail
        self.sending = False
        self.wrote_something = False
        """A partly done change wrote something: cancelling still reports it."""
        self.declared: list[Field] = []
        self.seen: Values = {}
        """Each field's value when last checked: change events that repeat it are ignored."""
        self.server_problems: dict[str, str] = {}
        """Messages the server's last answer put on fields; dropped when the field changes."""
        self.set_class(danger, "-danger")

    # ------------------------------------------------------------------ for subclasses

    def fields(self) -> Sequence[Field]:
        raise NotImplementedError

    def check(self, values: Values) -> dict[str, str]:
        """Rules across fields: field id → message (the fields' own checks run first)."""
        return {}

    def can_send(self, values: Values) -> bool:
        """False keeps the send button disabled (a confirmation not typed yet)."""
        return True

    async def send(self, values: Values) -> tuple[str, Written]:
        """The write; returns the success sentence and what the server answered."""
        raise NotImplementedError

    async def preview(self, values: Values) -> str:
        """A dry run: what sending would do. Forms without one keep ctrl+y inert."""
        raise NotImplementedError

    async def perform(self, values: Values) -> tuple[str, Written, str]:
        """`send`, and notes to add to the notification; a screen base may wrap it."""
        summary, written = await self.send(values)
        return summary, written, ""

    def explain(self, error: BaseException) -> tuple[str, dict[str, str]]:
        """The outcome text for a failed send, and the messages for the fields it names."""
        on_fields: dict[str, str] = {}
        for cause in getattr(error, "causes", None) or []:
            path = str(cause.get("field") or "") if isinstance(cause, dict) else ""
            field = self.field_for(path) if path else None
            if field is not None and field.id not in on_fields:
                on_fields[field.id] = str(cause.get("message") or cause.get("reason") or path)
        if getattr(error, "reason", "") == "AlreadyExists":
            field = self.field_for("metadata.name")
            if field is not None:
                on_fields[field.id] = f"{self.value_of(field.id) or 'it'} already exists"
        return error_text(error), on_fields

    # ------------------------------------------------------------------ reading

    def field_for(self, path: str) -> Field | None:
        return next((f for f in self.declared if path_matches(path, f.server)), None)

    def widget_of(self, field_id: str) -> Widget:
        return self.query_one(f"#{field_id}")

    def value_of(self, field_id: str) -> Any:
        field = next(f for f in self.declared if f.id == field_id)
        return read(self.widget_of(field_id), field)

    def values(self) -> Values:
        return {field.id: read(self.widget_of(field.id), field) for field in self.declared}

    def problems(self) -> dict[str, str]:
        """field id → message for every field that is not acceptable right now."""
        values = self.values()
        found = {}
        for field in self.declared:
            message = problem_of(field, values[field.id])
            if message:
                found[field.id] = message
        for field_id, message in self.check(values).items():
            found.setdefault(field_id, message)
        return found

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        self.declared = list(self.fields())
        with VerticalScroll(id="form"):
            yield Plain(self.form_title, classes="title")
            if self.detail:
                yield Plain(self.detail, classes="detail")
            for field in self.declared:
                yield from compose_field(field)
            yield Plain("", id="outcome")
            with Vertical(id="foot"):  # a tall form docks it: always on screen
                with Horizontal(id="buttons"):
                    yield Button("Cancel", id="cancel", compact=True)
                    yield Button(
                        self.SEND_LABEL,
                        id="send",
                        compact=True,
                        variant="error" if self.has_class("-danger") else "primary",
                    )
                hint = self.HINT + (" · ctrl+y: preview" if self.has_preview else "")
                yield Static(hint, classes="hint")

    @property
    def has_preview(self) -> bool:
        return type(self).preview is not FormModal.preview

    def on_mount(self) -> None:
        for field in self.declared:
            if field.kind == "choice" and field.load is not None:
                self._load(field)
        first = next((f for f in self.declared if f.focus), None) or next(
            (f for f in self.declared if not f.disabled), None
        )
        if first is not None:
            self.widget_of(first.id).focus()
        self.seen = self.values()
        self._update_send()

    @work(group="choices", exit_on_error=False)
    async def _load(self, field: Field) -> None:
        assert field.load is not None
        try:
            choices = await field.load()
        except Exception as error:
            self.show_field_problem(field.id, f"could not load: {error_text(error)[2:]}")
            return
        set_choices(self.query_one(f"#{field.id}", Select), field, choices)
        self.seen[field.id] = self.value_of(field.id)
        self._update_send()

    def show_field_problem(self, field_id: str, message: str | None) -> None:
        boxes = self.query(f"#{field_id}-error")
        if boxes:
            box = boxes.first(Static)
            box.update(message or "")
            box.set_class(bool(message), "-shown")

    def show_outcome(self, text: str, *, error: bool = True) -> None:
        outcome = self.query_one("#outcome", Static)
        outcome.update(text)
        outcome.set_class(bool(text), "-shown")
        outcome.set_class(error, "-error")
        if text:
            self.query_one("#form", VerticalScroll).scroll_to_widget(outcome, animate=False)

    def _update_send(self) -> None:
        allowed = not self.sending and self.can_send(self.values())
        self.query_one("#send", Button).disabled = not allowed

    # ------------------------------------------------------------------ editing

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    @on(RadioSet.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Any) -> None:
        """Live checks: a message appears as soon as the value breaks a rule, and goes as soon
        as it is fixed; the server's message on a field goes when the field changes."""
        field_id = getattr(event.control, "id", None)
        field = next((f for f in self.declared if f.id == field_id), None)
        if field is None or field.id not in self.seen:
            return
        value = self.value_of(field.id)
        if value == self.seen[field.id]:  # a widget announcing the value it started with
            return
        self.seen[field.id] = value
        shown = self.server_problems.pop(field.id, None) is not None or bool(
            self.query(f"#{field.id}-error.-shown")
        )
        message = self.problems().get(field.id)
        if field.live and is_empty(value):
            message = None
        if shown or field.live:
            self.show_field_problem(field.id, message)
        self._update_send()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_send()

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    # ------------------------------------------------------------------ sending

    def action_send(self) -> None:
        if self.sending:
            return
        self.server_problems = {}  # every field is checked again: its message is the client's
        problems = self.problems()
        for field in self.declared:
            self.show_field_problem(field.id, problems.get(field.id))
        if problems:
            self.show_outcome("fix the fields marked above; nothing was sent")
            self.focus_field(next(iter(problems)))
            return
        if not self.can_send(self.values()):
            return
        self._send(self.values())

    def focus_field(self, field_id: str) -> None:
        order = [f.id for f in self.declared]
        field_id = min(
            (field_id, *self.server_problems),
            key=lambda i: order.index(i) if i in order else len(order),
        )
        widget = self.query(f"#{field_id}")
        if widget and widget.first().focusable:
            widget.first().focus()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def _send(self, values: Values) -> None:
        self.sending = True
        self._update_send()
        self.show_outcome("sending…", error=False)
        try:
            summary, written, notes = await self.perform(values)
        except Exception as error:
            self._failed(error)
        else:
            self.app.notify(summary + notes, title="done", timeout=15 if notes else None)
            self.dismiss(FormResult(summary, tuple(written)))
            return
        self.sending = False
        self._update_send()

    def _failed(self, error: BaseException) -> None:
        text, on_fields = self.explain(error)
        self.show_outcome(text)
        self.server_problems = dict(on_fields)
        for field_id, message in on_fields.items():
            self.show_field_problem(field_id, message)
        if on_fields:
            self.focus_field(next(iter(on_fields)))

    def action_preview(self) -> None:
        if self.sending or not self.has_preview:
            return
        problems = self.problems()
        for field in self.declared:
            self.show_field_problem(field.id, problems.get(field.id))
        if problems:
            self.show_outcome("fix the fields marked above; nothing was previewed")
            self.focus_field(next(iter(problems)))
            return
        self._preview(self.values())

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _preview(self, values: Values) -> None:
        self.show_outcome("previewing…", error=False)
        try:
            said = await self.preview(values)
        except Exception as error:
            self._failed(error)
        else:
            self.show_outcome(said, error=False)

    def action_cancel(self) -> None:
        if self.sending:  # the server may be applying it: wait for its answer, then decide
            return
        if self.wrote_something:
            self.dismiss(FormResult(f"{self.form_title}: partly done", partial=True))
        else:
            self.dismiss(None)
