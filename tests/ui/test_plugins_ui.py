"""User plugins in the real app against the sandbox: a background plugin's output and exit
code in the command output pane, values as argv elements (a hostile context name is just a
name), $CONTAINER asked for on a pod row, confirmation, read-only mode, `?` help and the
palette."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from textual.command import CommandPalette
from textual.widgets import OptionList

from kstui.config import Config
from kstui.plugins import parse_plugins
from kstui.screens.confirm import ConfirmModal
from kstui.screens.container_pick import ContainerPickModal
from kstui.screens.containers import ContainersScreen
from kstui.screens.help import HelpModal
from kstui.screens.plugin_output import PluginOutputScreen
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.ui.conftest import loaded, move_to, wait_until
from tests.ui.test_pod_run import notes

HOSTILE = "$(touch {marker}) `touch {marker}`; touch {marker}"

PLUGINS = {
    "where": {
        "key": "ctrl+t",
        "kinds": ["po"],
        "description": "say where the row is",
        "command": [
            "printf",
            "%s|%s|%s|%s|%s\\n",
            "$CONTEXT",
            "$NAMESPACE",
            "$NAME",
            "$KIND",
            "$COL-STATUS",
        ],
        "background": True,
    },
    "fails": {
        "key": "ctrl+o",
        "kinds": ["pods"],
        "command": ["sh", "-c", "echo to-err >&2; echo to-out; exit 3", "fails", "$NAME"],
        "background": True,
        "confirm": True,
    },
    "which": {
        "key": "ctrl+y",
        "kinds": ["pods", "containers"],
        "command": ["printf", "%s/%s\\n", "$NAME", "$CONTAINER"],
        "background": True,
        "safe": True,
    },
}


def config(**changed: Any) -> Config:
    return Config(plugins=parse_plugins({**PLUGINS, **changed}))


async def pane(pilot: Any) -> tuple[str, str]:
    """The plugin's pane once the program has ended: its title and text."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, PluginOutputScreen), "the pane")
    screen = app.screen
    await wait_until(pilot, lambda: screen.finished and " exit " in title(screen), "the exit")
    await pilot.pause(0.15)  # the last redraw
    return title(screen), str(screen.query_one("#body").render())


def title(screen: Any) -> str:
    return str(screen.query_one("#title").render())


async def test_a_background_plugin_shows_its_output_and_exit_code(
    make_app: Any, lab: RunningSandbox
) -> None:
    app = make_app(namespace=NS, config=config())
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+t")
        head, body = await pane(pilot)
        assert (
            head == f"$ printf '%s|%s|%s|%s|%s\\n' host {NS} shell pods Running  ·  plugin where"
            "  ·  exit 0"
        )
        assert body == f"host|{NS}|shell|pods|Running\n"
        await pilot.press("escape")
        await loaded(pilot)

        await pilot.press("ctrl+o")  # confirm: true asks first, naming the command
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        assert "Run plugin fails on Pod exec-lab/shell?" in str(
            app.screen.query_one("#question").render()
        )
        await pilot.press("y")
        head, body = await pane(pilot)
        assert head.endswith("plugin fails  ·  exit 3")
        assert body == "to-out\n── stderr ──\nto-err\n"
        assert not notes(app), notes(app)


async def test_a_hostile_context_name_is_one_argument_and_runs_nothing(
    make_app: Any, lab: RunningSandbox, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    name = HOSTILE.format(marker=marker)
    document = yaml.safe_load(lab.kubeconfig.read_text())
    for entry in document["contexts"]:
        if entry["name"] == "host":
            entry["name"] = name
    document["current-context"] = name
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(document))
    kubeconfig.chmod(0o600)
    plugin = {**PLUGINS["where"], "command": ["printf", "[%s]", "$CONTEXT"]}
    app = make_app(context=name, namespace=NS, config=config(where=plugin), kubeconfig=kubeconfig)
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "web")
        await pilot.press("ctrl+t")
        _head, body = await pane(pilot)
        assert body == f"[{name}]"
        assert not marker.exists()


async def test_container_is_asked_on_a_pod_row_and_given_on_a_container_row(
    make_app: Any, lab: RunningSandbox
) -> None:
    app = make_app(namespace=NS, config=config())
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "web")
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainerPickModal), "picker")
        app.screen.query_one(OptionList).highlighted = 1
        await pilot.press("enter")
        _head, body = await pane(pilot)
        assert body == "web/cache\n"
        await pilot.press("escape")
        await loaded(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainersScreen), "containers")
        containers = app.screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: containers.row_count == 2, "two containers")
        assert containers.move_cursor_to("nginx")
        await pilot.press("ctrl+y")  # a container row: no question
        _head, body = await pane(pilot)
        assert body == "web/nginx\n"


async def test_read_only_mode_disables_plugins_not_marked_safe(
    make_app: Any, lab: RunningSandbox
) -> None:
    app = make_app(namespace=NS, config=config(), readonly=True)
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: notes(app, "warning"), "the reason")
        assert notes(app, "warning")[-1] == (
            ": read-only mode: plugin where is disabled (started with --readonly); "
            "a plugin that writes nothing may be marked safe: true"
        )
        assert isinstance(app.screen, ResourcesScreen)  # nothing ran
        await pilot.press("ctrl+y")  # safe: true runs
        _head, body = await pane(pilot)
        assert body == "shell/main\n"


async def test_help_and_the_palette_list_the_plugins_of_the_rows(
    make_app: Any, lab: RunningSandbox
) -> None:
    app = make_app(namespace=NS, config=config())
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpModal), "help")
        text = app.screen.search_text()
        assert "where (plugin)" in text
        assert "plugin.where" in text
        assert "Plugins (the config's plugins: on these rows)" in text
        assert "^t  where: say where the row is\n    background · on po\n" in text
        assert "    printf %s|%s|%s|%s|%s\\n $CONTEXT $NAMESPACE $NAME $KIND $COL-STATUS" in text
        await pilot.press("escape")
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        await pilot.press(*"plugin: where")
        await pilot.pause(0.3)
        await pilot.press("enter")
        _head, body = await pane(pilot)
        assert body == f"host|{NS}|shell|pods|Running\n"


async def test_leaving_a_background_plugins_pane_stops_it(
    make_app: Any, lab: RunningSandbox
) -> None:
    slow = {"key": "ctrl+o", "kinds": ["pods"], "command": ["sleep", "60"], "background": True}
    app = make_app(namespace=NS, config=config(fails=slow))
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, PluginOutputScreen), "the pane")
        screen = app.screen
        await wait_until(pilot, lambda: screen.process is not None, "the program")
        assert "running (esc stops it)" in title(screen)
        await pilot.press("escape")
        await loaded(pilot)
        await wait_until(pilot, lambda: screen.process.returncode is not None, "it stopped")
        assert screen.process.returncode == -15  # SIGTERM


async def test_read_only_mode_disables_exec_keys_on_container_rows(
    make_app: Any, lab: RunningSandbox
) -> None:
    """The containers view ran a command, a shell or an attach in read-only mode."""
    app = make_app(namespace=NS, config=config(), readonly=True)
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "web")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainersScreen), "containers")
        containers = app.screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: containers.row_count == 2, "two containers")
        for key, action in (("ctrl+e", "run"), ("s", "shell"), ("ctrl+a", "attach")):
            await pilot.press(key)
            await wait_until(pilot, lambda: len(notes(app, "warning")) > 0, "the reason")
            said = notes(app, "warning")[-1]
            assert said == f": read-only mode: {action} is disabled (started with --readonly)"
            app.clear_notifications()
            assert isinstance(app.screen, ContainersScreen)  # nothing asked, nothing ran
        await pilot.press("ctrl+t")  # a plugin of pods only: not on container rows
        assert containers.move_cursor_to("nginx")
        await pilot.press("ctrl+y")  # safe: runs here too
        _head, body = await pane(pilot)
        assert body == "web/nginx\n"
