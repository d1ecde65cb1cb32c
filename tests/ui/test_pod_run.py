"""`ctrl+e`: run a command in a container without a TTY: the container picked when there are
several, the output and exit code in a scrollable view, RBAC's reason before connecting."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList

from kstui.backends.pod_exec import ExecTarget, run_command
from kstui.config import Config
from kstui.screens.command_output import Lines
from kstui.screens.container_pick import ContainerPickModal
from kstui.screens.containers import ContainersScreen
from kstui.screens.pod_operate import CommandModal
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.resource_table import ResourceTable
from tests.backends.test_kubeconfig import single, tls_cluster
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.exec_lab import viewer_token as viewer_token  # fixture
from tests.ui.conftest import loaded, move_to, wait_until


def notes(app: Any, severity: str = "error") -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == severity]


async def command(pilot: Any, text: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, CommandModal), "the command line")
    app.screen.query_one(Input).value = text
    await pilot.press("enter")


async def ended(pilot: Any) -> tuple[str, str]:
    """The output pane, once its command has ended: its title and text."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "the output")
    await wait_until(pilot, lambda: " exit " in shown(app)[0], "the exit code")
    return shown(app)


def shown(app: Any) -> tuple[str, str]:
    screen = app.screen
    assert isinstance(screen, TextViewScreen)
    return str(screen.query_one("#title").render()), str(screen.query_one("#body").render())


async def test_run_picks_the_container_and_shows_output_and_exit_code(
    make_app: Any, lab: RunningSandbox
) -> None:
    app = make_app(namespace=NS)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "web")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainerPickModal), "picker")
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["nginx", "cache"]  # no "all containers": a command runs in one
        options.highlighted = 0
        await pilot.press("enter")
        await command(pilot, "cat /etc/os-release")
        title, body = await ended(pilot)
        assert (
            title
            == f'$ cat /etc/os-release  ·  container "nginx" of pod {NS}/web @ host  ·  exit 0'
        )
        assert "Debian GNU/Linux 12 (bookworm)" in body
        await pilot.press("c")  # copied over OSC 52
        assert notes(app, "information")[-1].endswith("copied to the clipboard (OSC 52)")
        await pilot.press("escape")
        await loaded(pilot)

        await move_to(pilot, "shell")  # one container: no question
        await pilot.press("ctrl+e")
        await command(pilot, "sh -c 'echo out; frobnicate; exit 3'")
        title, body = await ended(pilot)
        assert title.endswith("exit 3")
        assert body == "out\n── stderr ──\nsh: frobnicate: not found\n"
        assert not notes(app), notes(app)


async def test_run_from_a_container_row(make_app: Any, lab: RunningSandbox) -> None:
    app = make_app(namespace=NS)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "web")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainersScreen), "containers")
        containers = app.screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: containers.row_count == 2, "two containers")
        assert containers.move_cursor_to("cache")
        await pilot.press("ctrl+e")  # a container row: no picker
        await command(pilot, "hostname")
        title, body = await ended(pilot)
        assert 'container "cache" of pod' in title
        assert body == "web\n"


async def test_rbac_denied_run_says_why_before_asking_more(
    make_app: Any, lab: RunningSandbox, viewer_token: str, tmp_path: Path
) -> None:
    kubeconfig = single(tmp_path / "viewer", tls_cluster(lab), {"token": viewer_token})
    app = make_app(context="only", namespace=NS, kubeconfig=kubeconfig)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: notes(app), "the refusal")
        assert not isinstance(app.screen, CommandModal)  # no command asked for nothing
        assert notes(app)[0].startswith(
            f'RBAC does not let you exec into container "main" of pod {NS}/shell: '
            f"create pods/exec in namespace {NS}"
        )
        assert not isinstance(app.screen, TextViewScreen)


async def test_run_is_for_pods_and_not_in_read_only_mode(
    make_app: Any, lab: RunningSandbox
) -> None:
    app = make_app(namespace=NS, readonly=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: notes(app, "warning"), "why not")
        assert notes(app, "warning")[0].startswith(": read-only mode: run is disabled")
    app = make_app(namespace="default", kind="configmaps")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 1)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: notes(app, "warning"), "why not")
        assert notes(app, "warning")[0] == (
            ": run: configmaps have no containers; choose a pod (or a container)"
        )


async def test_shell_refusals_are_said_before_the_terminal_is_handed_over(
    make_app: Any, lab: RunningSandbox, viewer_token: str, tmp_path: Path
) -> None:
    kubeconfig = single(tmp_path / "viewer", tls_cluster(lab), {"token": viewer_token})
    app = make_app(context="only", namespace=NS, kubeconfig=kubeconfig)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("s")
        await wait_until(pilot, lambda: notes(app), "the refusal")
        assert notes(app)[0].startswith("RBAC does not let you exec into container")
    app = make_app(namespace=NS)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        for pod, said in (
            ("api", f'no shell in the image of container "app" of pod {NS}/api: tried bash, sh'),
            ("starting", f'container "slow" of pod {NS}/starting is not running: waiting: '),
        ):
            await move_to(pilot, pod)
            await pilot.press("s")
            await wait_until(pilot, lambda: len(notes(app)) == 1, f"why not on {pod}")
            assert notes(app)[0].startswith(said), notes(app)
            app.clear_notifications()


async def test_the_configured_shells_are_tried(make_app: Any, lab: RunningSandbox) -> None:
    app = make_app(namespace=NS, config=Config(shells=("zsh", "fish")))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("s")
        await wait_until(pilot, lambda: notes(app), "why not")
        assert notes(app)[0].startswith(
            f'no shell in the image of container "main" of pod {NS}/shell: tried zsh, fish'
        )


async def test_s_on_a_container_row_opens_that_container(
    make_app: Any, lab: RunningSandbox
) -> None:
    """Headless, the shell stops where the terminal would be handed over: the checks and the
    connection to the container under the cursor (nginx has bash) have passed."""
    app = make_app(namespace=NS)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "web")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainersScreen), "containers")
        containers = app.screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: containers.row_count == 2, "two containers")
        await pilot.press("s")
        await wait_until(pilot, lambda: notes(app, "warning"), "the handover")
        assert notes(app, "warning") == [": a shell needs a terminal of its own"]
        assert not notes(app), notes(app)


async def test_a_command_that_lasts_streams_into_a_pane_and_esc_stops_it(
    make_app: Any, lab: RunningSandbox
) -> None:
    """`tail -f` never ends: the pane opens at once with its output and says it runs; esc
    closes the pane and the exec's WebSocket, so the process is gone from `ps`."""
    app = make_app(namespace=NS)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+e")
        await command(pilot, "tail -f /etc/app/app.yaml")
        started = time.monotonic()
        await wait_until(pilot, lambda: "greeting" in shown(app)[1], "the streamed output")
        assert time.monotonic() - started < 1
        title, body = shown(app)
        assert title.endswith("running (esc stops it)")
        assert body == "greeting: hello\n"
        client = app.screen.client  # the exec client of the pane
        target = ExecTarget(NS, "shell", "main")
        assert "tail -f" in (await run_command(client, target, ["ps"])).stdout.decode()
        await pilot.press("escape")
        await loaded(pilot)

        async def processes() -> str:
            return (await run_command(client, target, ["ps"])).stdout.decode()

        for _ in range(50):
            if "tail -f" not in await processes():
                break
            await pilot.pause(0.1)
        assert "tail -f" not in await processes()  # the stream closed: the process went with it
        assert not notes(app), notes(app)


def test_a_pane_keeps_the_last_lines_and_counts_the_dropped() -> None:
    lines = Lines(limit=3)
    for number in range(5):
        lines.feed(f"line {number}\n".encode())
    lines.feed(b"half")
    assert lines.text() == (
        "(2 earlier lines dropped: the last 3 are kept)\nline 2\nline 3\nline 4\nhalf"
    )
    lines.feed("é".encode()[:1])  # a character split across messages
    lines.feed("é\n".encode()[1:])
    assert lines.text().endswith("halfé\n")
