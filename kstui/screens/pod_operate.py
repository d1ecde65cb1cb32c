"""Operate on a pod's container: `ctrl+e` runs a command without a TTY (its output streamed
into a pane that opens at once, command_output.py; `c` copies it over OSC 52); `s` opens a
shell: the app is suspended and the terminal joined to it (tty_bridge.py) until it ends, then
its exit status is said. A pod of several containers first asks which one; RBAC and the
container's state are checked before connecting (pod_exec.preflight)."""

from __future__ import annotations

import shlex
from typing import Any, Protocol

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kstui.backends import actions
from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.backends.pod_exec import (
    SHELLS,
    ExecStream,
    ExecTarget,
    open_shell,
    preflight,
)
from kstui.backends.tty_bridge import bridge
from kstui.screens.command_output import CommandOutputScreen
from kstui.screens.container_pick import ContainerPickModal
from kstui.screens.failures import notify_failure
from kstui.screens.port_forwards import forward_from
from kstui.widgets.plain import Plain


class Host(Protocol):
    """Where an operate action starts: a screen (or a ResourceHost) with its app."""

    @property
    def app(self) -> App[Any]: ...


async def operate(
    action: str, screen: Host, backend: Backend, pod: dict[str, Any], given: str | None
) -> None:
    """An operate action on a pod (`given`: the container, when a container row chose it)."""
    if action == "run":
        await run_in(screen, backend, pod, given)
    elif action == "shell":
        await shell_in(screen, backend, pod, given, configured_shells(screen.app))
    elif action == "port_forward":
        await forward_from(screen, backend, pod, given)


class CommandModal(ModalScreen[list[str] | None]):
    """The command to run, split as a shell would split it (no shell runs it)."""

    DEFAULT_CSS = """
    CommandModal { align: center middle; }
    CommandModal > Vertical {
        width: 80; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2;
    }
    CommandModal #error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel", id="run.cancel")]

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"run in {self.where}:")
            yield Input(placeholder="ls -l /", id="command")
            yield Static("", id="error")
            yield Static("split as sh splits words, run without a shell · esc cancels")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            argv = shlex.split(event.value)
        except ValueError as exc:
            self.query_one("#error", Static).update(f"cannot split the command: {exc}")
            return
        if not argv:
            self.query_one("#error", Static).update("type a command, or esc")
            return
        self.dismiss(argv)

    def action_cancel(self) -> None:
        self.dismiss(None)


async def pick_container(
    screen: Host, pod: dict[str, Any], purpose: str, given: str | None = None
) -> str | None:
    """The container to operate on: the given one, the only one, or the user's pick."""
    if given:
        return given
    names = [info.name for info in actions.containers_of(pod) if not info.init]
    if len(names) <= 1:
        return names[0] if names else None
    name = str((pod.get("metadata") or {}).get("name", ""))
    question = f"{purpose} in {name}: which container?"
    return await screen.app.push_screen_wait(
        ContainerPickModal(name, names, question=question, offer_all=False)
    )


async def pick_target(
    screen: Host, pod: dict[str, Any], purpose: str, given: str | None
) -> ExecTarget | None:
    """The pod's container to operate on as an ExecTarget (None: the user chose none)."""
    container = await pick_container(screen, pod, purpose, given)
    if container is None:
        return None
    meta = pod.get("metadata") or {}
    return ExecTarget(str(meta.get("namespace", "")), str(meta.get("name", "")), container)


async def run_in(screen: Host, backend: Backend, pod: dict[str, Any], given: str | None) -> None:
    """`ctrl+e`: ask a command, run it in the container, show its output and exit code."""
    target = await pick_target(screen, pod, "run", given)
    if target is None:
        return
    try:  # refused (RBAC, not running): said before a command is asked
        client = await backend.open()
        await preflight(client, target)
        argv = await screen.app.push_screen_wait(CommandModal(target.where))
    except KstuiError as error:
        notify_failure(screen.app, error)
        return
    if argv is not None:  # the pane opens at once; the command streams into it
        screen.app.push_screen(CommandOutputScreen(client, target, argv, backend.info.name))


async def handed_over(app: App[Any], stream: ExecStream, **how: Any) -> int:
    """The terminal is the shell's until it ends (`how`: bridge's detach keys and the like).
    App.suspend resumes only when its block ends without an exception: a failure (a detach
    too) is held until the app is back."""
    failure: BaseException | None = None
    with app.batch_update(), app.suspend():  # batch: nothing is drawn over the shell
        try:
            code = await bridge(stream, **how)
        except BaseException as error:
            failure = error
    if failure is not None:
        raise failure
    return code


def configured_shells(app: object) -> tuple[str, ...]:
    config = getattr(getattr(app, "settings", None), "config", None)
    return tuple(getattr(config, "shells", SHELLS))


async def shell_in(
    screen: Host,
    backend: Backend,
    pod: dict[str, Any],
    given: str | None,
    shells: tuple[str, ...] = SHELLS,
) -> None:
    """`s`: a shell in the container (bash, then sh), the terminal handed over while it runs;
    back where the user was after, with its exit status said."""
    from textual.app import SuspendNotSupported

    target = await pick_target(screen, pod, "shell", given)
    if target is None:
        return
    app = screen.app
    try:
        client = await backend.open()
        await preflight(client, target)
        async with open_shell(client, target, shells) as stream:
            code = await handed_over(app, stream)
    except KstuiError as error:
        notify_failure(app, error)
        return
    except SuspendNotSupported:
        app.notify("a shell needs a terminal of its own", severity="warning")
        return
    app.notify(
        f"{stream.argv[0]} in {target.where}",
        title=f"shell ended: exit {code}",
        severity="information" if code == 0 else "warning",
        timeout=10,
    )
