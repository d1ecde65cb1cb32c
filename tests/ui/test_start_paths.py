"""Issue 18: the first list never waits for discovery (built-in kinds have known paths, so pods
show while a slow server still has not answered discovery); a modal closing costs no footer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.screens.confirm import ConfirmModal
from kstui.screens.help import HelpModal
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.footer import Footer
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, wait_until

DISCOVERY_LATENCY = 60.0


async def test_pods_show_while_discovery_is_still_unanswered(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox()
    faults = running.cluster().faults
    running.call(faults.slow, DISCOVERY_LATENCY, "/apis")  # aggregated discovery hangs
    try:
        app = build_app(
            AppSettings(
                load_kubeconfig(str(running.kubeconfig)),
                "host",
                "",
                cache_dir=tmp_path / "cold-cache",  # no disk copy of the kinds either
            )
        )
        async with app.run_test(size=(140, 30)) as pilot:
            table = await loaded(pilot, minimum=2)
            assert table.visible_count >= 2
            backend = app.session.backend()
            task = backend._discovery_task
            assert task is not None
            assert not task.done(), "discovery answered: the test proves nothing"
    finally:
        running.call(faults.clear)


async def test_closing_a_modal_keeps_the_footer_keys_it_shows(
    make_app: Callable[..., KstuiApp],
) -> None:
    """Issue 18 (frame budget): a modal closing gives the list back the same keys, so the
    footer composes nothing again (each recompose built ~30 widgets, 30-50 ms of the frame);
    keys that do change (the prompt taking focus) still recompose it."""
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot)
        base = app.screen
        footer = base.query_one(Footer)
        await wait_until(pilot, lambda: bool(footer.query(FooterKey)), "the footer's keys")
        await pilot.pause(0.2)
        keys = list(footer.query(FooterKey))
        for key, modal in (("question_mark", HelpModal), ("ctrl+d", ConfirmModal)):
            await pilot.press(key)
            await wait_until(pilot, lambda modal=modal: isinstance(app.screen, modal), "modal")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is base, "the list again")
            await pilot.pause(0.3)
            assert list(footer.query(FooterKey)) == keys, f"{modal.__name__} recomposed it"

        await pilot.press("colon")  # the prompt's keys are not the list's
        await wait_until(pilot, lambda: list(footer.query(FooterKey)) != keys, "recomposed")


async def test_the_heap_settles_after_the_frame_that_shows_a_big_load(
    make_app: Callable[..., KstuiApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full collection after a big load took ~100 ms, and it ran before the frame with the
    rows: it now waits for that frame (issue 18)."""
    from kstui import heap

    monkeypatch.setattr(heap, "BIG_LOAD", 1)  # the sandbox's few pods count as a big load
    order: list[str] = []
    real_settle, real_loaded = heap.HEAP.settle, ResourcesScreen._loaded

    def display(*args: object, **kwargs: object) -> object:
        order.append("frame")
        return real_display(*args, **kwargs)  # type: ignore[arg-type]

    def settle() -> None:
        order.append("settle")
        real_settle()

    def on_loaded(screen: ResourcesScreen) -> None:
        order.append("loaded")
        real_loaded(screen)

    monkeypatch.setattr(heap.HEAP, "settle", settle)
    monkeypatch.setattr(ResourcesScreen, "_loaded", on_loaded)
    app = make_app(namespace="")
    real_display = app._display
    monkeypatch.setattr(app, "_display", display)
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot)
        await wait_until(pilot, lambda: "settle" in order, "the settle")
    after = order[order.index("loaded") :]
    assert "frame" in after[: after.index("settle")], order


async def test_a_list_asked_for_at_start_fills_the_table_then_the_watch_follows(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI asks for the first list while Textual starts (early_list.py): the table shows
    those rows, and once they are drawn the app lets the network stack load and the watch
    opens from the list's resourceVersion (issue 18)."""
    from kstui.backends import early_list, kube_transport

    monkeypatch.setattr(
        kube_transport, "NETWORK_HOLD", 600.0
    )  # only the app's word opens the network
    kubeconfig = load_kubeconfig(str(sandbox.kubeconfig))
    early_list.begin_first_list(kubeconfig, "host", "pods", "payments", 500)
    app = build_app(AppSettings(kubeconfig, "host", "payments", cache_dir=tmp_path / "cache"))
    async with app.run_test(size=(140, 30)) as pilot:
        table = await loaded(pilot)
        assert table.row_count >= 1
        backend = app.session.backend()
        assert backend.caches is not None
        (cache,) = [c for c in backend.caches.caches() if c.path.endswith("/pods")]
        await wait_until(pilot, lambda: cache.watches_started >= 1, "the watch", timeout=60)
        assert cache.lists_started == 1
        assert cache.resource_version


async def test_the_first_lists_rows_are_drawn_before_the_footer_composes_its_keys(
    make_app: Callable[..., KstuiApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Composing ~30 footer keys took ~9 ms in the frame the rows waited for: the rows come
    first, the keys right after (issue 18)."""
    seen: list[tuple[int, int]] = []  # (rows in the table, footer keys) at each frame
    app = make_app(namespace="")
    real_display = app._display

    def display(*args: object, **kwargs: object) -> object:
        if isinstance(app.screen, ResourcesScreen):
            screen = app.screen
            seen.append((screen.query_one("#table").row_count, len(screen.query(FooterKey))))
        return real_display(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "_display", display)
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot)
        await wait_until(pilot, lambda: bool(app.screen.query(FooterKey)), "the footer's keys")
    first_with_rows = next(keys for rows, keys in seen if rows)
    assert first_with_rows == 0, seen


async def test_the_footer_shows_its_keys_when_the_first_list_never_comes(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app("tenant", namespace="")  # alice may not list every namespace's pods
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_until(pilot, lambda: bool(app.screen.query(FooterKey)), "the footer's keys")
        assert not app.screen.loaded
