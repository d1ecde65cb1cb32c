"""Navigation, drill-down, filters, commands and completion, pilot-driven on the sandbox."""

from __future__ import annotations

from kstui.screens.containers import ContainersScreen
from kstui.screens.help import HelpModal
from kstui.screens.resources import ResourcesScreen
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.prompt import Prompt
from tests.ui.conftest import loaded, move_to, table, type_text, wait_until


async def test_first_frame_then_rows_fill_in(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.screen.query_one(ContextBar)
        assert (bar.context, bar.namespace) == ("host", "payments")
        rows = await loaded(pilot)
        names = [rows.row(k).cells[0] for k in rows.visible_keys]
        assert names == sorted(names)
        assert any(n.startswith("api-") for n in names)
        assert [c.name for c in rows.columns] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        await wait_until(pilot, lambda: bar.user == "admin", "whoami")


async def test_drill_down_and_back_along_the_history(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("colon")
        await type_text(pilot, "deploy")
        await pilot.press("enter")
        deployments = await loaded(pilot)
        assert app.screen.kind.resource == "deployments"
        assert len(app.screen_stack) == 2
        await move_to(pilot, "api")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 3, "pods of api")
        pods = await loaded(pilot)
        assert app.screen.target.selector.startswith("app=api")
        assert all(pods.row(k).cells[0].startswith("api-") for k in pods.visible_keys)
        assert "deployments(payments) › api › pods(payments)" in app.screen.crumbs()
        # pod → containers → back
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainersScreen), "containers")
        assert table(pilot).row_count == 1
        await pilot.press("escape")
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2, "back to deployments")
        assert table(pilot) is deployments
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, "back to pods")


async def test_enter_on_a_replicaset_goes_to_pods_and_o_jumps_to_the_owner(make_app) -> None:
    app = make_app(kind="rs")
    async with app.run_test(size=(120, 36)) as pilot:
        rows = await loaded(pilot)
        first = rows.cursor_row.cells[0]
        await pilot.press("o")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2, "owner list")
        owners = await loaded(pilot)
        assert app.screen.kind.resource == "deployments"
        assert first.startswith(owners.cursor_row.cells[0] + "-")


async def test_filter_regex_invert_and_clear(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        rows = await loaded(pilot)
        total = rows.row_count
        await pilot.press("slash")
        await type_text(pilot, "^cache")
        await wait_until(pilot, lambda: rows.visible_count < total, "filter")
        cache_rows = rows.visible_count
        assert all(rows.row(k).cells[0].startswith("cache") for k in rows.visible_keys)
        await pilot.press("enter")
        assert "/^cache" in str(app.screen.query_one("#crumbs").render())
        await pilot.press("slash", "home", "exclamation_mark", "enter")
        assert rows.visible_count == total - cache_rows
        await pilot.press("escape")  # esc clears the filter before it goes back
        assert rows.visible_count == total
        assert len(app.screen_stack) == 1


async def test_label_selector_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("slash")
        await type_text(pilot, "-l app=db")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.target.selector == "app=db", "selector")
        rows = await loaded(pilot)
        assert rows.row_count == 6
        assert all(rows.row(k).cells[0].startswith("db-") for k in rows.visible_keys)


async def test_command_completion(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        prompt = app.screen.query_one(Prompt)
        await pilot.press("colon")
        await type_text(pilot, "deplo")
        await pilot.press("tab")
        assert prompt.value == "deploy"
        prompt.value = ""
        await type_text(pilot, "workspacet")
        await wait_until(pilot, lambda: prompt._suggestion == "workspacetemplate", "suggestion")
        await pilot.press("tab")  # singular and plural both name the kind: the common prefix
        assert prompt.value == "workspacetemplate"
        prompt.value = ""
        await type_text(pilot, "ctx me")
        await pilot.press("tab")
        assert prompt.value == "ctx member"
        prompt.value = ""
        await type_text(pilot, "po store")
        await pilot.press("tab")
        assert prompt.value == "po storefront"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2, "pods in storefront")
        await loaded(pilot)
        assert app.screen.namespace == "storefront"


async def test_crd_kinds_by_short_name_cluster_scoped(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("colon")
        await type_text(pilot, "workspacetemplates")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2, "workspacetemplates")
        rows = await loaded(pilot)
        assert app.screen.kind.group == "tenant.kubesphere.io"
        assert app.screen.query_one(ContextBar).namespace == "(cluster)"
        assert rows.columns[0].name == "NAME"


async def test_namespace_and_context_commands(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("colon")
        await type_text(pilot, "ns storefront")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.namespace == "storefront", "namespace")
        await loaded(pilot)
        assert app.session.namespace == "storefront"
        await pilot.press("colon")
        await type_text(pilot, "po @member -A")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.context == "member", "member pods")
        rows = await loaded(pilot)
        assert rows.columns[0].name == "NAMESPACE"
        assert app.session.context == "host"  # `@member` is one view, not a switch
        await pilot.press("colon")
        await type_text(pilot, "ctx member")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                app.session.context == "member"
                and isinstance(app.screen, ResourcesScreen)
                and app.screen.context == "member"
            ),
            "context switch",
        )
        assert len(app.screen_stack) == 1
        await loaded(pilot, minimum=0)
        bar = app.screen.query_one(ContextBar)
        assert (bar.context, bar.namespace) == ("member", "default")  # the context's namespace
        assert [b.name for b in app.session.opened()] == ["member"]


async def test_unknown_kind_and_bad_command_say_so(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("colon")
        await type_text(pilot, "podz")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any('unknown resource type "podz"' in n.message for n in app._notifications),
            "unknown kind",
        )
        assert len(app.screen_stack) == 1  # stays where it was
        await pilot.press("colon")
        await type_text(pilot, "ctx nowhere")
        await pilot.press("enter")
        await pilot.pause()
        assert any("no context 'nowhere'" in n.message for n in app._notifications)


async def test_help_lists_the_keys_of_the_view(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpModal), "help")
        lines = {line.label: line.keys for line in app.screen.lines}
        assert lines["describe"] == "d"
        assert lines["delete"] == "^d"
        assert lines["back"] == "esc q"
        # each line names its binding id, for `keymap:` in the config
        ids = {line.label: line.binding_id for line in app.screen.lines}
        assert ids["describe"] == "resource.describe"
        assert any(
            line.split() == ["d", "describe", "resource.describe"]
            for line in app.screen.search_text().splitlines()
        )
        await pilot.press("question_mark")  # `?` toggles help: the same key closes it
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "help closed")
        await pilot.press("question_mark", "q")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "q closes it")


async def test_back_at_the_first_view_says_there_is_nothing_behind(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        screen = app.screen
        await pilot.press("q")
        await wait_until(
            pilot,
            lambda: any("nothing to go back to" in n.message for n in app._notifications),
            "a notice instead of silence",
        )
        assert app.screen is screen


async def test_describe_and_yaml_views(make_app) -> None:
    app = make_app(kind="deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "api")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "describe")
        text = app.screen.render_text(False)
        assert "Name:" in text
        assert "api" in text
        assert "Replicas:" in text
        await pilot.press("escape")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "yaml")
        assert "kind: Deployment" in app.screen.render_text(False)


async def test_palette_switches_context(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", "palette")
        await type_text(pilot, "context: member")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.context == "member", "switched")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ResourcesScreen) and app.screen.context == "member",
            "member list",
        )


async def test_section_key_and_screen_option(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("1")
        assert app.current_mode == "resources"


def test_screen_option_only_offers_built_sections() -> None:
    from kstui.__main__ import build_parser

    assert build_parser().parse_args(["--screen", "resources"]).screen == "resources"
