"""The Traffic section on the real sandbox: the list, the slider's preview and apply, undo, a
concurrent change asked again, and the guard against a real Prometheus backfilled with Istio
series (figures on screen equal those computed from the samples; an override is recorded)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.backends.traffic_guard import millis, percent
from kstui.backends.traffic_journal import Journal, journal_path
from kstui.config import Config
from kstui.screens.confirm import ConfirmModal
from kstui.screens.text_view import TextViewScreen
from kstui.screens.traffic import TrafficScreen
from kstui.screens.traffic_forms import CreateStrategyForm
from kstui.screens.traffic_modals import Choice, GuardModal
from kstui.screens.traffic_split import SplitScreen
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.slider import Slider
from tests.conftest import RunningSandbox, _need_prometheus
from tests.connections import sandbox_client
from tests.traffic_prometheus import END, backfilled, expected
from tests.traffic_seeds import seed_split, viewer_kubeconfig, viewer_token
from tests.ui.conftest import type_text, wait_until

STRATEGIES = "/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/{ns}/strategies/reviews-canary"


def traffic_app(
    kubeconfig: Path, cache: Path, config: Config | None = None, frozen_now: float | None = None
) -> KstuiApp:
    loaded = load_kubeconfig(str(kubeconfig))
    return build_app(
        AppSettings(
            loaded,
            "host",
            "default",
            config=config or Config(),
            screen="traffic",
            frozen_now=frozen_now,
            cache_dir=cache,
        )
    )


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


async def listed(pilot: Pilot[Any], namespace: str) -> TrafficScreen:
    screen = pilot.app.screen
    assert isinstance(screen, TrafficScreen)
    await wait_until(
        pilot, lambda: any(s.namespace == namespace for s in screen.splits.values()), "splits"
    )
    return screen


async def open_split(pilot: Pilot[Any], namespace: str) -> SplitScreen:
    screen = await listed(pilot, namespace)
    key = next(k for k, s in screen.splits.items() if s.namespace == namespace)
    assert screen.query_one(ResourceTable).move_cursor_to(key)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SplitScreen), "slider")
    split = pilot.app.screen
    assert isinstance(split, SplitScreen)
    await wait_until(pilot, lambda: split.loaded, "figures")
    return split


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Plain).content)


async def test_the_list_shows_the_seeded_canary_with_its_weights(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = traffic_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await listed(pilot, "shop-prod")
        split = next(s for s in screen.splits.values() if s.namespace == "shop-prod")
        table = screen.query_one(ResourceTable)
        row = table.row(split.key)
        assert row is not None
        cells = row.cells[-7:]  # CLUSTER shows only when splits are on several clusters
        assert cells[:5] == ("shop-prod", "reviews-canary", "Canary", "v1 80 · v2 20", "—")
        assert cells[5].startswith("≥")  # no managedFields: dated from first seen


async def test_slider_preview_apply_undo_and_a_concurrent_change(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    admin = sandbox_client(sandbox)
    namespace, _ = await seed_split(admin)
    path = STRATEGIES.format(ns=namespace)
    app = traffic_app(sandbox.kubeconfig, tmp_path / "cache")
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            screen = await open_split(pilot, namespace)
            await pilot.press("right", "full_stop", "comma", "right")
            assert screen.query_one(Slider).value == 30
            assert text_of(screen, "#preview").startswith(
                "after apply: reviews → v1 70%, v2 30%  (now v1 80 · v2 20)"
            )
            await pilot.press("percent_sign")
            await type_text(pilot, "25")
            await pilot.press("enter")
            assert screen.query_one(Slider).value == 25
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
            await pilot.press("y")
            await wait_until(
                pilot, lambda: "applied" in text_of(screen, "#status"), "the write's answer"
            )
            stored = await admin.get(path)
            assert [
                r["weight"] for r in stored["spec"]["template"]["spec"]["http"][0]["route"]
            ] == [
                75,
                25,
            ]
            await pilot.press("U")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "undo confirm")
            await pilot.press("y")
            await wait_until(
                pilot, lambda: "applied: undo" in text_of(screen, "#status"), "the undo's answer"
            )
            stored = await admin.get(path)
            assert [
                r["weight"] for r in stored["spec"]["template"]["spec"]["http"][0]["route"]
            ] == [
                80,
                20,
            ]
            # someone else sets 50/50 now; kstui's next apply is refused and asks again
            before_theirs = screen.split.resource_version
            other = {
                "spec": {
                    "template": {
                        "spec": {
                            "http": [
                                {
                                    "route": [
                                        {
                                            "destination": {"host": "reviews", "subset": s},
                                            "weight": 50,
                                        }
                                        for s in ("v1", "v2")
                                    ]
                                }
                            ]
                        }
                    }
                }
            }
            await admin.patch(path, other)
            assert screen.split.resource_version == before_theirs
            await pilot.press("left")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
            await pilot.press("y")
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, ConfirmModal)
                    and "changed since it was read" in app.screen.question
                ),
                "asked again",
            )
            modal = app.screen
            assert isinstance(modal, ConfirmModal)
            assert "template v1 80/v2 20 → v1 50/v2 50" in modal.question
            await pilot.press("n")
            await pilot.press("ctrl+d")  # offline without a governor: refused, said
            await pilot.pause()
            said = [str(n.message) for n in app._notifications]
            assert any("take over first" in line for line in said), said
            stored = await admin.get(path)
            assert (
                stored["spec"]["template"]["spec"]["http"]
                == other["spec"]["template"]["spec"]["http"]
            )
            assert await admin.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/reviews-v2")
    finally:
        await admin.aclose()


@pytest.fixture(scope="module")
def istio_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_prometheus()
    with backfilled(tmp_path_factory.mktemp("istio-ui")) as url:
        yield url


async def test_health_figures_and_the_guard_with_its_override_recorded(
    fresh_sandbox: Callable[..., RunningSandbox],
    istio_url: str,
    tmp_path: Path,
    state_dir: Path,
) -> None:
    running = fresh_sandbox()
    config = Config(prometheus={"host": PrometheusEndpoint(istio_url)})
    app = traffic_app(running.kubeconfig, tmp_path / "cache", config, frozen_now=END)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_split(pilot, "shop-prod")
        await wait_until(
            pilot,
            lambda: (
                screen.health.versions.get("v1") is not None
                and screen.health.of("v1").rate is not None
            ),
            "figures",
        )
        table = screen.query_one(ResourceTable)
        for version in ("v1", "v2"):
            rate, ratio, p95 = expected(version)
            row = table.row(version)
            assert row is not None
            assert row.cells[3:6] == (f"{rate:.2f}", percent(ratio), millis(p95))
        assert table.row("v1").cells[2] == "2/2"  # type: ignore[union-attr]
        await pilot.press("right")  # v2 (10% 5xx, p95 750ms) would get more traffic
        assert "guard: 5xx ratio of v2 is 10.00%, v1's 1.00%" in text_of(screen, "#preview")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GuardModal), "the guard")
        guard = app.screen
        assert isinstance(guard, GuardModal)
        assert guard.reasons == [
            "5xx ratio of v2 is 10.00%, v1's 1.00%: worse by more than 1 points",
            "p95 of v2 is 750ms, v1's 194ms: slower by more than 20%",
        ]
        await type_text(pilot, "yes")
        await pilot.press("enter")
        assert isinstance(app.screen, GuardModal)  # only the word override goes on
        assert Journal(journal_path()).entries() == []
        for _ in range(3):
            await pilot.press("backspace")
        await type_text(pilot, "override")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "applied" in text_of(screen, "#status"), "the write")
        await pilot.press("L")  # the journal, viewable from the section
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "journal")
        journal = app.screen
        assert isinstance(journal, TextViewScreen)
        shown = journal.render_text(False)
        assert "shop-prod/reviews-canary: set reviews-canary to v1 75% · v2 25%" in shown
        assert "why stopped: 5xx ratio of v2 is 10.00%" in shown
        assert "v2: 2.00 req/s, 5xx 10.00%, p95 750ms over 15m" in shown
    entries = Journal(journal_path()).entries()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.namespace, entry.name) == ("shop-prod", "reviews-canary")
    assert entry.action == "set reviews-canary to v1 75% · v2 25%"
    assert entry.figures["v2"]["error_ratio"] == pytest.approx(expected("v2")[1])
    assert entry.figures["v2"]["p95_ms"] == pytest.approx(expected("v2")[2])
    assert journal_path().parent == state_dir / "kstui"


async def test_a_user_without_patch_sees_why_and_writes_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    admin = sandbox_client(sandbox)
    try:
        namespace, _ = await seed_split(admin)
        token = await viewer_token(admin, namespace)
        kubeconfig = viewer_kubeconfig(
            sandbox.kubeconfig, tmp_path / "viewer.yaml", token, namespace
        )
        before = await admin.get(STRATEGIES.format(ns=namespace))
        loaded = load_kubeconfig(str(kubeconfig))
        app = build_app(
            AppSettings(loaded, "viewer", namespace, screen="traffic", cache_dir=tmp_path / "cache")
        )
        async with app.run_test(size=(160, 48)) as pilot:
            screen = await open_split(pilot, namespace)
            await wait_until(pilot, lambda: "patch" in screen.permissions, "the SSAR")
            await pilot.press("right", "ctrl+s")
            await pilot.pause()
            said = text_of(screen, "#status")
            assert f"apply: you may not patch strategies in {namespace} (RBAC)" in said
            assert not isinstance(app.screen, ConfirmModal)
        assert await admin.get(STRATEGIES.format(ns=namespace)) == before
    finally:
        await admin.aclose()


async def test_the_create_form_names_the_failing_prerequisite(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    admin = sandbox_client(sandbox)
    try:
        namespace, _ = await seed_split(admin, with_strategy=False)
        await admin.patch(
            f"/api/v1/namespaces/{namespace}/services/reviews",
            {"metadata": {"annotations": {"servicemesh.kubesphere.io/enabled": None}}},
        )
        app = traffic_app(sandbox.kubeconfig, tmp_path / "cache")
        async with app.run_test(size=(120, 40)) as pilot:
            await listed(pilot, "shop-prod")
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, CreateStrategyForm), "form")
            form = app.screen
            for field, value in (("namespace", namespace), ("service", "reviews"), ("name", "x")):
                form.query_one(f"#{field}", Input).value = value
            await pilot.press("ctrl+s")
            error = form.query_one("#service-error", Static)
            await wait_until(pilot, lambda: error.has_class("-shown"), "said on the Service")
            problem = 'Service reviews lacks annotation servicemesh.kubesphere.io/enabled: "true"'
            assert str(error.render()) == problem
            outcome = str(form.query_one("#outcome", Static).render())
            assert outcome.startswith("✗ §5.1 prerequisite not met: nothing was sent")
        listed_strategies = await admin.get(
            f"/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/{namespace}/strategies"
        )
        assert listed_strategies["items"] == []
    finally:
        await admin.aclose()


async def test_read_only_mode_disables_the_writes_and_says_why(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    loaded = load_kubeconfig(str(sandbox.kubeconfig))
    app = build_app(
        AppSettings(
            loaded, "host", "default", readonly=True, screen="traffic", cache_dir=tmp_path / "c"
        )
    )
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await listed(pilot, "shop-prod")
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, CreateStrategyForm)
        assert "read-only" in text_of(screen, "#status")
        split = await open_split(pilot, "shop-prod")
        await pilot.press("right", "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        assert "read-only" in text_of(split, "#status")


async def test_take_over_then_restore_from_the_slider_view(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    admin = sandbox_client(sandbox)
    namespace, _ = await seed_split(admin)
    path = STRATEGIES.format(ns=namespace)
    app = traffic_app(sandbox.kubeconfig, tmp_path / "cache")
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            screen = await open_split(pilot, namespace)
            await pilot.press("K")
            await wait_until(pilot, lambda: isinstance(app.screen, Choice), "the choice")
            await pilot.press("enter")  # the first: the new version takes over
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
            await pilot.press("y")
            await wait_until(pilot, lambda: screen.split.governor == "v2", "taken over")
            stored = await admin.get(path)
            assert stored["spec"]["governor"] == "v2"
            assert [
                r["weight"] for r in stored["spec"]["template"]["spec"]["http"][0]["route"]
            ] == [
                0,
                100,
            ]
            await pilot.press("K")
            await wait_until(pilot, lambda: isinstance(app.screen, Choice), "the choice")
            await pilot.press("down", "down", "enter")  # restore
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
            await pilot.press("y")
            await wait_until(pilot, lambda: screen.split.governor == "", "restored")
            assert (await admin.get(path))["spec"]["governor"] == ""
    finally:
        await admin.aclose()
