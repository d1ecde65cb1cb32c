"""Form modals of the Workspaces section: the shared FormModal, members and quotas.

Every form validates before it sends, sends through the WorkspaceService in a worker, keeps
the server's answer on screen when it fails (the form stays open), lists what was and was not
done after a PartialFailure, and closes with a notification when the server accepted it.
Workspace and project forms are in workspace_forms.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kstui.backends import write_outcome
from kstui.backends.errors import KstuiError
from kstui.backends.tenancy import (
    PartialFailure,
    QuotaLine,
    validate_name,
    validate_quantity,
)
from kstui.safe_text import inert_cells, inert_line
from kstui.widgets.plain import Plain

Written = list[dict[str, Any]]
QUOTA_RESOURCES = ("limits.cpu", "limits.memory", "requests.cpu", "requests.memory", "pods")


@dataclass(frozen=True, slots=True)
class FormResult:
    """What a form reports to the screen that opened it."""

    summary: str
    """One sentence for the notification ("created workspace acme-retail")."""
    written: tuple[dict[str, Any], ...] = ()
    """The objects as the server answered them."""
    partial: bool = False
    """Closed after a PartialFailure: some steps were written."""


def partial_text(failure: PartialFailure) -> str:
    """Done / failed / not done, one line each, then what to do, for the form's outcome area.
    Not the failure's detail: that is these same steps as plain text (for a notification)."""
    lines = [f"✗ {failure.title}"]
    lines += [f"✓ done: {step}" for step in failure.done]
    if failure.failed:
        lines.append(f"✗ failed: {failure.failed}")
    lines += [f"· not done: {step}" for step in failure.not_done]
    if failure.hint:
        lines.append(f"→ {failure.hint}")
    return "\n".join(lines)


def error_text(error: BaseException) -> str:
    if isinstance(error, KstuiError):
        return "\n".join(part for part in (f"✗ {error.title}", error.detail, error.hint) if part)
    return f"✗ {type(error).__name__}: {error}"


class FormModal(ModalScreen[FormResult | None]):
    """A titled form with Cancel/Send buttons and an outcome area; subclasses add fields."""

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
    FormModal .field-error { color: $error; padding-left: 17; display: none; height: auto; }
    FormModal .field-error.-shown { display: block; margin-bottom: 1; }
    FormModal #outcome { height: auto; display: none; }
    FormModal #outcome.-shown { display: block; margin-bottom: 1; }
    FormModal #outcome.-error { color: $error; }
    FormModal #buttons { height: auto; align-horizontal: right; }
    FormModal #buttons Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "cancel", id="form.cancel"),
        Binding("ctrl+s", "send", "send", priority=True, id="form.send"),
    ]
    SEND_LABEL = "Save"
    QUIET_FIELDS: ClassVar[frozenset[str]] = frozenset()
    """Fields checked only on send (a half-typed confirmation is not an error)."""

    def __init__(self, title: str, *, detail: str = "", danger: bool = False) -> None:
        super().__init__()
        self.form_title = title
        self.detail = detail
        self.sending = False
        self.wrote_something = False
        """A PartialFailure wrote part of the change: cancelling still reports it."""
        self.set_class(danger, "-danger")

    # ------------------------------------------------------------------ for subclasses

    def fields(self) -> ComposeResult:
        raise NotImplementedError
        yield  # pragma: no cover

    def problems(self) -> dict[str, str]:
        """field id → message for every field that is not acceptable right now."""
        return {}

    async def send(self) -> tuple[str, Written]:
        """Write through the service; return the success sentence and what was written."""
        raise NotImplementedError

    def first_focus(self) -> str:
        return "Input"

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Plain(self.form_title, classes="title")
            if self.detail:
                yield Plain(self.detail, classes="detail")
            yield from self.fields()
            yield Plain("", id="outcome")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(self.SEND_LABEL, id="send", compact=True,
                             variant="error" if self.has_class("-danger") else "primary")
            yield Static("tab: next field · enter or ctrl+s: send · esc: cancel",
                         classes="hint")

    def on_mount(self) -> None:
        self.query(self.first_focus()).first().focus()

    @staticmethod
    def field_error_id(field_id: str) -> str:
        return f"{field_id}-error"

    def show_field_problem(self, field_id: str, message: str | None) -> None:
        box = self.query_one(f"#{self.field_error_id(field_id)}", Static)
        box.update(message or "")
        box.set_class(bool(message), "-shown")

    def show_outcome(self, text: str, *, error: bool = True) -> None:
        outcome = self.query_one("#outcome", Static)
        outcome.update(text)
        outcome.set_class(bool(text), "-shown")
        outcome.set_class(error, "-error")
        if text:
            self.query_one("#form", VerticalScroll).scroll_to_widget(outcome, animate=False)

    # ------------------------------------------------------------------ sending

    @on(Input.Changed)
    def _revalidate(self, event: Input.Changed) -> None:
        """Live checks: a field's message appears as soon as its text breaks a rule."""
        field_id = event.input.id
        if field_id in self.QUIET_FIELDS:
            return
        if field_id and self.query(f"#{self.field_error_id(field_id)}"):
            message = self.problems().get(field_id) if event.value else None
            self.show_field_problem(field_id, message)

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

    def action_send(self) -> None:
        if self.sending:
            return
        problems = self.problems()
        for widget in self.query(".field-error"):
            field_id = (widget.id or "").removesuffix("-error")
            self.show_field_problem(field_id, problems.get(field_id))
        if problems:
            self.show_outcome("fix the fields marked above; nothing was sent")
            return
        self._send()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def _send(self) -> None:
        self.sending = True
        button = self.query_one("#send", Button)
        button.disabled = True
        self.show_outcome("sending…", error=False)
        try:
            with write_outcome.late_answers() as late:
                summary, written = await self.send()
        except PartialFailure as failure:
            self.wrote_something = True
            self.show_outcome(partial_text(failure))
        except Exception as error:
            self.show_outcome(error_text(error))
        else:
            # A write whose answer never came but which the read-back found applied.
            notes = "".join(f"\n{outcome.text}" for outcome in late)
            self.app.notify(summary + notes, title="done", timeout=15 if notes else None)
            self.dismiss(FormResult(summary, tuple(written)))
            return
        self.sending = False
        button.disabled = False

    def action_cancel(self) -> None:
        if self.sending:  # the server may be applying it: wait for its answer, then decide
            return
        if self.wrote_something:
            self.dismiss(FormResult(f"{self.form_title}: partly done", partial=True))
        else:
            self.dismiss(None)


def text_field(label: str, field_id: str, value: str = "", *, placeholder: str = "",
               disabled: bool = False, checked: bool = True) -> ComposeResult:
    """A labelled one-line input, with a hidden message row below it when `checked`."""
    with Horizontal(classes="field"):
        yield Label(label)
        # prefilled from the server (a user, a quantity): shown inertly; a value that needed
        # it would fail validation anyway
        yield Input(inert_cells(value), id=field_id, placeholder=placeholder, compact=True,
                    disabled=disabled)
    if checked:
        yield Plain("", id=FormModal.field_error_id(field_id), classes="field-error")


def select_field(label: str, field_id: str, options: Sequence[tuple[str, str]],
                 value: str = "") -> ComposeResult:
    with Horizontal(classes="field"):
        yield Label(label)
        chosen = value if value in {v for _, v in options} else (options[0][1] if options
                                                                   else Select.NULL)
        # prompts as Text: role and workspace names are data, never markup
        prompts = [(Text(inert_line(prompt)), option) for prompt, option in options]
        yield Select(prompts, id=field_id, allow_blank=not options, value=chosen,
                     compact=True)
    yield Plain("", id=FormModal.field_error_id(field_id), classes="field-error")


def selected(modal: ModalScreen[Any], field_id: str) -> str:
    value = modal.query_one(f"#{field_id}", Select).value
    return value if isinstance(value, str) else ""


def typed(modal: ModalScreen[Any], field_id: str) -> str:
    return modal.query_one(f"#{field_id}", Input).value.strip()


# ---------------------------------------------------------------------- members


class MemberModal(FormModal):
    """Add a member (user + role) or change a member's role, in a workspace or a project.

    `send(user, role)` is the service call for the scope (add_workspace_member,
    change_project_member, …), bound by the screen."""

    SEND_LABEL = "Save"

    def __init__(self, title: str, *, roles: Sequence[str],
                 send: Callable[[str, str], Awaitable[Written]], where: str,
                 user: str = "", role: str = "") -> None:
        super().__init__(title)
        self.roles = list(roles)
        self.send_member = send
        self.where = where
        """The workspace or project, as the success message names it."""
        self.user = user
        """Fixed when changing a role; typed when adding."""
        self.role = role

    def fields(self) -> ComposeResult:
        yield from text_field("User", "user", self.user, placeholder="user name",
                              disabled=bool(self.user))
        # A new member starts at the least privilege offered; admin is a deliberate choice.
        least = next((role for role in self.roles if role.endswith("viewer")), "")
        yield from select_field("Role", "role", [(r, r) for r in self.roles],
                                self.role or least)

    def first_focus(self) -> str:
        return "#role" if self.user else "#user"

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        user = typed(self, "user")
        message = validate_name(user, "user") if user else "a user name is required"
        if message:
            found["user"] = message
        role = selected(self, "role")
        if not role:
            found["role"] = "choose a role" if self.roles else "no roles to choose from"
        elif self.user and role == self.role:
            found["role"] = f"{self.user} already has role {role}"
        return found

    async def send(self) -> tuple[str, Written]:
        user, role = typed(self, "user"), selected(self, "role")
        written = await self.send_member(user, role)
        verb = "now has" if self.user else "added with"
        return f"{user} {verb} role {role} in {self.where}", written


# ---------------------------------------------------------------------- quota


class QuotaModal(FormModal):
    """Hard limits of a workspace or project quota; an empty field sets no limit."""

    DEFAULT_CSS = """
    QuotaModal .field { margin-bottom: 0; }
    QuotaModal .field-error.-shown { margin-bottom: 0; }
    QuotaModal #buttons { margin-top: 1; }
    """
    SEND_LABEL = "Apply"

    def __init__(self, title: str, *, current: Sequence[QuotaLine],
                 send: Callable[[dict[str, str]], Awaitable[Written]], where: str) -> None:
        super().__init__(title, detail="Kubernetes quantities: 500m, 2, 4Gi, 512Mi…")
        self.current = {line.resource: line.hard for line in current}
        self.send_quota = send
        self.where = where

    @staticmethod
    def input_id(resource: str) -> str:
        return resource.replace(".", "-")

    def fields(self) -> ComposeResult:
        for resource in QUOTA_RESOURCES:
            yield from text_field(resource, self.input_id(resource),
                                  self.current.get(resource, ""), placeholder="no limit")

    def hard(self) -> dict[str, str]:
        values = {resource: typed(self, self.input_id(resource)) for resource in QUOTA_RESOURCES}
        return {resource: value for resource, value in values.items() if value}

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for resource, value in self.hard().items():
            message = validate_quantity(value)
            if message:
                found[self.input_id(resource)] = message
        if not found and not self.hard():
            found[self.input_id(QUOTA_RESOURCES[0])] = "set at least one limit"
        return found

    async def send(self) -> tuple[str, Written]:
        hard = self.hard()
        written = await self.send_quota(hard)
        limits = ", ".join(f"{resource}={value}" for resource, value in hard.items())
        return f"quota of {self.where}: {limits}", written
