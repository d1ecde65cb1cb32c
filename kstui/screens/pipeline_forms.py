"""The Pipelines section's dialogs: the trigger form (parameters with their defaults, types and
choices from the pipeline's Jenkins metadata, a branch for a multi-branch pipeline), the
KubeSphere login (the password asked once, never kept) and an input step's question."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button

from kstui.backends.devops_login import KsLogin
from kstui.backends.pipeline_bodies import (
    Parameter,
    branches_of,
    check_value,
    is_multi_branch,
    parameters_of,
)
from kstui.backends.pipeline_graph import InputRequest
from kstui.backends.pipeline_rows import PipelineRow
from kstui.backends.pipelines_service import PipelineService
from kstui.safe_text import inert_line
from kstui.screens.forms import WriteForm, Written
from kstui.widgets.form import FormModal, FormResult, Values
from kstui.widgets.form_fields import Field, check, choice, text
from kstui.widgets.plain import Plain


def _field_id(name: str) -> str:
    return "p-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def parameter_field(parameter: Parameter) -> Field:
    """One parameter as a field of its type: a choice's choices, a boolean's checkbox."""
    fid = _field_id(parameter.name)
    # The name is data (Jenkins metadata) and a field label is read as markup: keep only a
    # parameter name's usual characters.
    label = "".join(c if c.isalnum() or c in "_-." else "·" for c in parameter.name)[:16]
    if parameter.kind == "boolean":
        return check(fid, label, parameter.default == "true")
    if parameter.kind == "choice" and parameter.choices:
        return choice(fid, label, [(c, c) for c in parameter.choices], parameter.default)

    def valid(value: str) -> str | None:
        return check_value(parameter, value) or None

    return text(
        fid,
        label,
        parameter.default,
        placeholder=parameter.description[:60],
        validators=(valid,),
        message_row=True,
    )


class TriggerForm(WriteForm):
    SEND_LABEL = "Run"

    def __init__(
        self, service: PipelineService, row: PipelineRow, pipeline: dict[str, Any]
    ) -> None:
        self.service, self.row, self.pipeline = service, row, pipeline
        self.parameters = parameters_of(pipeline)
        self.branches = branches_of(pipeline) if is_multi_branch(pipeline) else []
        where = f"{row.cluster}/{row.namespace}"
        super().__init__(
            f"Run {row.name}",
            detail=f"Creates a PipelineRun in {where}; the DevOps controller starts the "
            "Jenkins build.",
        )

    def fields(self) -> list[Field]:
        fields: list[Field] = []
        if self.branches:
            fields.append(
                choice(
                    "branch",
                    "Branch",
                    [(b, b) for b in self.branches],
                    self.branches[0],
                    required="a branch is needed",
                )
            )
        elif is_multi_branch(self.pipeline):
            fields.append(text("branch", "Branch", required="a branch is needed"))
        fields += [parameter_field(p) for p in self.parameters]
        return fields

    def collected(self, values: Values) -> dict[str, str]:
        out = {}
        for parameter in self.parameters:
            value = values.get(_field_id(parameter.name))
            if isinstance(value, bool):
                value = "true" if value else "false"
            out[parameter.name] = "" if value is None else str(value)
        return out

    def check(self, values: Values) -> dict[str, str]:
        problems = {}
        collected = self.collected(values)
        for parameter in self.parameters:
            why = check_value(parameter, collected[parameter.name])
            if why:
                problems[_field_id(parameter.name)] = why
        return problems

    async def send(self, values: Values) -> tuple[str, Written]:
        branch = str(values.get("branch") or "")
        made = await self.service.trigger(self.row, self.collected(values), branch)
        name = (made.get("metadata") or {}).get("name", "")
        on = f" on {branch}" if branch else ""
        return f"created run {name} of {self.row.name}{on}", [made]


def open_trigger(
    screen: Screen[Any], service: PipelineService, row: PipelineRow, after: Callable[[], Any]
) -> None:
    """Read the pipeline as it is now (parameters, branches, uid), then open the form."""

    async def load() -> None:
        pipeline = await service.pipeline(row)

        def done(result: FormResult | None) -> None:
            if result is not None:
                after()

        screen.app.push_screen(TriggerForm(service, row, pipeline), done)

    screen.run_worker(load(), group="trigger-form", exclusive=True, exit_on_error=False)


class LoginForm(FormModal):
    """The password for a configured ks-apiserver: sent once in the OAuth password grant;
    only the refresh token it returns is kept (the OS keyring)."""

    SEND_LABEL = "Log in"

    def __init__(self, login: KsLogin, why: str) -> None:
        super().__init__(
            f"KubeSphere login: {login.who()}",
            detail=f"{why}. The password is sent once and never kept; the refresh token is "
            "kept in the OS keyring.",
        )
        self.login = login

    def fields(self) -> list[Field]:
        return [text("password", "Password", required="the password is needed")]

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#password").password = True  # type: ignore[attr-defined]

    async def send(self, values: Values) -> tuple[str, Written]:
        await self.login.login(str(values["password"]))
        return f"logged in: {self.login.who()}", []


class InputModal(ModalScreen[str | None]):
    """An input step's question: proceed (its OK label) or abort."""

    DEFAULT_CSS = """
    InputModal { align: center middle; }
    InputModal > Vertical {
        width: 70; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2;
    }
    InputModal #question { text-style: bold; margin-bottom: 1; }
    InputModal #detail { color: $text-muted; margin-bottom: 1; }
    InputModal Horizontal { height: auto; align-horizontal: right; }
    InputModal Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "back", id="input.cancel")]

    def __init__(self, ask: InputRequest, mode: str) -> None:
        super().__init__()
        self.ask, self.mode = ask, mode

    def compose(self) -> ComposeResult:
        who = f"Submitters: {self.ask.submitter}. " if self.ask.submitter else ""
        with Vertical():
            yield Plain(self.ask.message or f"input {self.ask.id}", id="question")
            yield Plain(f"{who}{self.mode}", id="detail")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Abort", id="abort", variant="error")
                ok = Text(inert_line(self.ask.ok or "Proceed")[:30])  # data: never markup
                yield Button(ok, id="proceed", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id if event.button.id != "cancel" else None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


__all__ = ["InputModal", "LoginForm", "TriggerForm", "open_trigger"]
