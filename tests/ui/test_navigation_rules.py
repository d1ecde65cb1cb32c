"""How navigation keeps what the user set up: `A` toggles the list in place (its selectors,
sort and filter kept), the one namespace rule (each context its own current namespace, the
same for `:kind` and the palette), tab cycling in the `:` prompt, the palette's order, and
what an empty list says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from kstui.app import KstuiApp
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.prompt import Prompt
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, move_to, table, type_text, wait_until

MakeApp = Callable[..., KstuiApp]


async def command(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("colon")
    await type_text(pilot, text)
    await pilot.press("enter")


def browser(app: KstuiApp) -> ResourcesScreen:
    screen = app.screen
    assert isinstance(screen, ResourcesScreen)
    return screen


async def listed(pilot: Pilot[Any], context: str, namespace: str, kind: str = "") -> None:
    """Wait for the list on `context` in `namespace` (of `kind`) to be complete."""
    app = pilot.app

    def there() -> bool:
        screen = app.screen
        return (
            isinstance(screen, ResourcesScreen)
            and screen.loaded
            and (screen.context, screen.namespace) == (context, namespace)
            and (not kind or (screen.kind is not None and screen.kind.resource == kind))
        )

    await wait_until(pilot, there, f"{kind or 'a list'} on {context} in {namespace or 'all'}")


# ---------------------------------------------------------------------- `A`


async def test_all_namespaces_on_a_nodes_pods_keeps_the_node(make_app: MakeApp) -> None:
    app = make_app(kind="nodes")
    async with app.run_test(size=(120, 36)) as pilot:
        nodes = await loaded(pilot)
        node = nodes.cursor_row.cells[0]
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2, "the node's pods")
        await listed(pilot, "host", "", "pods")
        on_node = f"spec.nodeName={node}"
        assert browser(app).target.field_selector == on_node
        everywhere = table(pilot).row_count
        await pilot.press("A")  # → the node's pods in the current namespace
        await listed(pilot, "host", "payments", "pods")
        assert browser(app).target.field_selector == on_node
        assert f"--field-selector {on_node}" in browser(app).crumbs()
        assert table(pilot).row_count <= everywhere
        assert {ns for ns, _name in browser(app).names.values()} <= {"payments"}
        await pilot.press("A")  # → all namespaces again, still that node's
        await listed(pilot, "host", "", "pods")
        assert browser(app).target.field_selector == on_node
        assert table(pilot).row_count == everywhere


async def test_all_namespaces_toggles_in_place_without_history_steps(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await command(pilot, "deploy")
        await listed(pilot, "host", "payments", "deployments")
        assert len(app.screen_stack) == 2
        await pilot.press("A")
        await listed(pilot, "host", "", "deployments")
        await pilot.press("A")
        await listed(pilot, "host", "payments", "deployments")
        assert len(app.screen_stack) == 2, "toggling is no step of the history"
        await pilot.press("escape")  # back where the user came from: the pods
        await listed(pilot, "host", "payments", "pods")
        assert len(app.screen_stack) == 1


async def test_all_namespaces_in_an_all_namespaces_session_adds_nothing(
    make_app: MakeApp,
) -> None:
    app = make_app(namespace="")
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await loaded(pilot)
        await listed(pilot, "host", "", "pods")
        await pilot.press("A")
        await wait_until(pilot, lambda: app._notifications, "a word on why nothing changed")
        assert any("already all namespaces" in n.message for n in app._notifications)
        assert len(app.screen_stack) == 1
        assert browser(app).namespace == ""


async def test_all_namespaces_keeps_the_sort_and_the_filter(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        rows = await loaded(pilot)
        await pilot.press("greater_than_sign", "greater_than_sign", "equals_sign")
        column = rows.columns[rows.sort_column].name
        assert (column, rows.sort_reverse) == ("STATUS", True)
        await pilot.press("slash")
        await type_text(pilot, "api")
        await pilot.press("enter")
        await pilot.press("A")
        await listed(pilot, "host", "", "pods")
        rows = table(pilot)
        assert rows.columns[0].name == "NAMESPACE"
        assert (rows.columns[rows.sort_column].name, rows.sort_reverse) == ("STATUS", True)
        assert rows.filter_text == "api"
        await pilot.press("A")
        await listed(pilot, "host", "payments", "pods")
        rows = table(pilot)
        assert (rows.columns[rows.sort_column].name, rows.sort_reverse) == ("STATUS", True)


# ---------------------------------------------------------------------- one namespace rule


async def palette_kind(pilot: Pilot[Any], kind: str) -> None:
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "palette")
    await type_text(pilot, f"kind: {kind}")
    await pilot.pause(0.3)
    await pilot.press("enter")


async def test_colon_kind_and_the_palette_open_in_the_same_namespace(make_app: MakeApp) -> None:
    app = make_app(namespace="default")
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, minimum=0)
        await command(pilot, "ns payments")
        await listed(pilot, "host", "payments", "pods")
        await command(pilot, "deploy")
        await listed(pilot, "host", "payments", "deployments")
        await pilot.press("escape")
        await listed(pilot, "host", "payments", "pods")
        await palette_kind(pilot, "deployments")
        await listed(pilot, "host", "payments", "deployments")
        await pilot.press("escape")
        # a view on another context: its own namespace, for `:kind` and the palette alike
        await command(pilot, "po @member")
        await listed(pilot, "member", "default", "pods")
        assert "pods(default)@member" in browser(app).crumbs()
        await command(pilot, "deploy")
        await listed(pilot, "member", "default", "deployments")
        await pilot.press("escape")
        await listed(pilot, "member", "default", "pods")
        await palette_kind(pilot, "deployments")
        await listed(pilot, "member", "default", "deployments")
        assert app.session.context == "host"


async def test_each_context_keeps_its_own_namespace(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await command(pilot, "ns storefront")
        await listed(pilot, "host", "storefront", "pods")
        await command(pilot, "po @member")  # member's own namespace, not host's `:ns`
        await listed(pilot, "member", "default", "pods")
        await pilot.press("escape")
        await command(pilot, "ctx member")
        await listed(pilot, "member", "default", "pods")
        await command(pilot, "ns kube-system")
        await listed(pilot, "member", "kube-system", "pods")
        await command(pilot, "ctx host")
        await listed(pilot, "host", "storefront", "pods")
        assert app.session.namespace == "storefront"
        await command(pilot, "ctx member")
        await listed(pilot, "member", "kube-system", "pods")


# ---------------------------------------------------------------------- completion, palette


async def test_tab_cycles_through_the_candidates(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        prompt = app.screen.query_one(Prompt)
        await pilot.press("colon")
        await type_text(pilot, "deplo")
        found = app._complete("deplo")
        assert len(found) >= 3
        shown = []
        for _ in range(len(found) + 1):
            await pilot.press("tab")
            shown.append(prompt.value)
        assert shown == [*found, found[0]], "each candidate in turn, then the first again"
        await pilot.press("shift+tab")
        assert prompt.value == found[-1]
        await pilot.press("shift+tab")
        assert prompt.value == found[-2]


async def test_the_palette_lists_kstui_entries_before_textuals(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        textual = {command.title for command in app.get_system_commands(app.screen)}

        async def entries(query: str) -> list[str]:
            await pilot.press("ctrl+p")
            await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
            await type_text(pilot, query)
            await pilot.pause(0.6)
            commands = app.screen.query_one(CommandList)
            texts = [
                str(commands.get_option_at_index(i).hit.text) for i in range(commands.option_count)
            ]
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "closed")
            return texts

        for query in ("", "t", "q"):
            texts = await entries(query)
            theirs = [i for i, text in enumerate(texts) if text in textual]
            ours = [i for i, text in enumerate(texts) if text not in textual]
            assert theirs, (query, texts)
            assert ours, (query, texts)
            assert max(ours) < min(theirs), (query, texts)


async def test_an_empty_list_says_where_it_looked(
    make_app: MakeApp, fresh_sandbox: Callable[..., RunningSandbox]
) -> None:
    # a sandbox of its own: other tests create ingresses in the shared one
    app = make_app(kubeconfig=fresh_sandbox().kubeconfig)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await command(pilot, "ingresses -A")
        await listed(pilot, "host", "", "ingresses")
        assert table(pilot).row_count == 0
        assert table(pilot)._empty_message == "no ingresses in any namespace"
        await pilot.press("A")
        await listed(pilot, "host", "payments", "ingresses")
        assert table(pilot)._empty_message == "no ingresses in namespace payments"
        await command(pilot, "po -l app=nothing-here")
        await listed(pilot, "host", "payments", "pods")
        message = table(pilot)._empty_message
        assert message == "no pods matching app=nothing-here in namespace payments"


async def test_a_move_keeps_the_row(make_app: MakeApp) -> None:
    """`A` keeps the cursor on the row it was on (the same object, now among all)."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        screen = browser(app)
        name = sorted(n for _ns, n in screen.names.values())[5]
        await move_to(pilot, name)
        await pilot.press("A")
        await listed(pilot, "host", "", "pods")
        await wait_until(
            pilot,
            lambda: screen.names.get(table(pilot).cursor_key or "") == ("payments", name),
            "cursor on the same pod",
        )
