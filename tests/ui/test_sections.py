"""The sections kit on the real app: a section is one registry entry and one screen class, and
`:` and `/` work in every section."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kstui.__main__ import build_parser
from kstui.app import KstuiApp, binding_ids
from kstui.config import validate_keymap
from kstui.screens.env import ScreenEnv
from kstui.screens.help import HelpModal
from kstui.screens.logs import LogsScreen
from kstui.screens.resources import ResourcesScreen, Target
from kstui.screens.sections import SECTIONS, Section, register, unregister
from kstui.screens.text_view import TextViewScreen
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from tests.ui.conftest import MakeHost, loaded, type_text, wait_until
from tests.ui.test_workspaces import cells, open_workspace, ready


class ProbeScreen(Screen[None]):
    """A section's first screen, written the way a new section's is: (env, service)."""

    BINDINGS = [Binding("z", "poke", "poke the probe", id="probe.poke")]

    def __init__(self, env: ScreenEnv, service: dict[str, str]) -> None:
        super().__init__()
        self.env = env
        self.service = service

    def compose(self) -> ComposeResult:
        yield Plain(f"probe on {self.service['context']}", id="probe")

    def action_poke(self) -> None:
        self.notify("poked")


@pytest.fixture
def probe() -> Iterator[list[dict[str, str]]]:
    """Registers the throwaway section; the list holds each service it made."""
    made: list[dict[str, str]] = []

    def service(session: Any, _config: Any) -> dict[str, str]:
        made.append({"context": session.context})
        return made[-1]

    assert "probe" not in SECTIONS
    register(
        Section(
            "probe",
            "9",
            "a section made up by a test",
            screen=f"{__name__}:ProbeScreen",
            service=service,
        )
    )
    yield made
    unregister("probe")


def test_the_registry_drives_screen_option_and_keymap(probe: list[dict[str, str]]) -> None:
    assert build_parser().parse_args(["--screen", "probe"]).screen == "probe"
    ids = binding_ids()
    assert {"probe.poke", "app.section.probe"} <= ids
    validate_keymap({"probe.poke": "x", "app.section.probe": "8"}, ids)
    unregister("probe")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--screen", "probe"])
    assert "probe.poke" not in binding_ids()


async def test_a_registered_section_gets_key_palette_help_command_and_reset(
    probe: list[dict[str, str]], make_app: Callable[..., KstuiApp]
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        assert probe == []  # made when the section opens, not before
        await pilot.press("9")  # its key
        await wait_until(pilot, lambda: isinstance(app.screen, ProbeScreen), "probe by key")
        first = app.screen
        assert probe == [{"context": "host"}]
        assert first.service is probe[0]
        await pilot.press("question_mark")  # its line in help
        await wait_until(pilot, lambda: isinstance(app.screen, HelpModal), "help")
        lines = {line.label: line.keys for line in app.screen.lines}
        assert lines["probe"] == "9"
        assert lines["poke the probe"] == "z"
        await pilot.press("escape")
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "resources")
        await pilot.press("colon")  # its `:` command
        await type_text(pilot, "probe")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is first, "probe by :probe")
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "resources")
        await pilot.press("ctrl+p")  # its palette entry
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", "palette")
        await type_text(pilot, "section: probe")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is first, "probe by the palette")
        await app.switch_context("member")  # a reset: new service, new screen
        await wait_until(pilot, lambda: app.current_mode == "resources", "back to resources")
        await pilot.press("9")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ProbeScreen) and app.screen is not first,
            "a fresh probe",
        )
        assert probe == [{"context": "host"}, {"context": "member"}]
        assert app.screen.service is probe[1]


async def test_command_and_filter_in_the_workspaces_section(make_host: MakeHost) -> None:
    """`:deploy`, `/` and `:q` work in Workspaces as in Resources; 1 and 2 switch sections
    from a workspace's panes too."""
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot, WorkspacesScreen)
        table = screen.query_one(ResourceTable)
        await wait_until(
            pilot, lambda: {"acme-retail", "beta-labs"} <= set(cells(table)), "workspaces"
        )
        await pilot.press("slash")
        await type_text(pilot, "acme")
        await wait_until(pilot, lambda: set(cells(table)) == {"acme-retail"}, "filtered")
        await pilot.press("enter")
        assert app.screen.focused is table
        assert table.filter_text == "acme"
        await pilot.press("slash", "escape")
        await wait_until(pilot, lambda: "beta-labs" in cells(table), "filter cleared")
        assert app.screen.focused is table
        await pilot.press("colon")
        await type_text(pilot, "deploy -A")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), ":deploy")
        browser = app.screen
        assert browser.target.kind == "deploy"
        assert browser.target.namespace == ""
        assert app.current_mode == "workspaces"  # Esc comes back
        await loaded(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back to the list")
        await pilot.press("1")
        await wait_until(pilot, lambda: app.current_mode == "resources", "resources")
        await pilot.press("2")
        await wait_until(pilot, lambda: app.screen is screen, "workspaces again")
        await pilot.press("colon")
        await type_text(pilot, "q")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app._exit, "quit")


async def test_number_keys_switch_sections_from_a_workspace(make_host: MakeHost) -> None:
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, WorkspacesScreen)
        detail = await open_workspace(pilot, "acme-retail")
        await pilot.press("right_square_bracket")
        assert detail.active_pane == "members"
        await pilot.press("1")
        await wait_until(pilot, lambda: app.current_mode == "resources", "resources")
        await pilot.press("2")
        await wait_until(pilot, lambda: app.screen is detail, "the workspace again")
        assert detail.active_pane == "members"
        members = detail.query_one("#members-table", ResourceTable)
        await pilot.press("slash")
        await type_text(pilot, "carol")
        await wait_until(pilot, lambda: set(cells(members)) == {"carol"}, "members filtered")
        await pilot.press("enter")
        assert app.screen.focused is members


async def test_the_environment_opens_the_browser_logs_and_yaml(
    make_app: Callable[..., KstuiApp],
) -> None:
    """The navigation a section screen is given: each opens the view it names, Esc returns."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        home = app.screen
        env = app.env
        env.open_yaml("host", "deploy", "payments", "api")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "yaml")
        assert app.screen.title_text == "yaml Deployment payments/api @ host"
        assert "kind: Deployment" in app.screen.render_text(False)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is home, "back")
        pod = next(name for _ns, name in home.names.values() if name.startswith("api-"))
        env.open_logs("host", "payments", [pod])
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        assert app.screen.pod == pod
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is home, "back")
        env.open_resources(Target("deploy", "payments", "member"))
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ResourcesScreen) and app.screen is not home,
            "browser",
        )
        assert app.screen.context == "member"
        with pytest.raises(AttributeError):
            env.session = None  # type: ignore[misc]  # frozen: screens cannot rewire it
