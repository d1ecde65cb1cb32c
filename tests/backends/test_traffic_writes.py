"""Each Traffic action writes exactly API.md §5.3's merge patch (plus the resourceVersion that
makes it conditional), checked twice on the real sandbox: the body sent, and the stored object,
which must equal the object before with that body merged in by RFC 7386 (nothing more changed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kstui.backends import traffic_writes as writes
from kstui.backends.errors import KstuiError
from kstui.backends.kube import KubeClient
from kstui.backends.traffic_model import Split, StrategyType, strategy_split
from kstui.backends.traffic_writes import Changed, NotAllowed, object_path, vs_path
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.traffic_seeds import merge_patch, seed_split, viewer_token, without_versions

HOST = "reviews"


@pytest.fixture
async def admin(sandbox: RunningSandbox) -> AsyncIterator[KubeClient]:
    client = sandbox_client(sandbox)
    yield client
    await client.aclose()


async def split_of(client: KubeClient, namespace: str, name: str = "reviews-canary") -> Split:
    strategy = await client.get(
        f"/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/{namespace}/strategies/{name}"
    )
    vs = await client.get(vs_path(namespace, HOST))
    return strategy_split(strategy, vs, context="host", cluster="host")


def route(weight: int, protocol: str = "http") -> dict[str, Any]:
    item: dict[str, Any] = {
        "route": [
            {"destination": {"host": HOST, "subset": "v1"}, "weight": 100 - weight},
            {"destination": {"host": HOST, "subset": "v2"}, "weight": weight},
        ]
    }
    if protocol == "tcp":
        item["match"] = []
    return item


async def check_exact(
    client: KubeClient, split: Split, written: writes.Written, expected: dict[str, Any]
) -> dict[str, Any]:
    """The body sent is §5.3's plus the resourceVersion read; the stored object is the object
    before with exactly that merged in."""
    assert written.sent.body == {
        **expected,
        "metadata": {"resourceVersion": split.resource_version},
    }
    assert written.sent.content_type == "application/merge-patch+json"
    return expected


async def stored_equals_merge(
    client: KubeClient, before: dict[str, Any], expected: dict[str, Any], path: str
) -> dict[str, Any]:
    after = await client.get(path)
    assert without_versions(after) == without_versions(merge_patch(before, expected))
    return after


@pytest.mark.parametrize(("weight", "governor"), [(35, ""), (100, "v2"), (0, "v1")])
async def test_the_slider_sends_the_weights_patch_governor_included(
    admin: KubeClient, weight: int, governor: str
) -> None:
    namespace, _name = await seed_split(admin)
    split = await split_of(admin, namespace)
    assert (split.old, split.new, split.new_weight, split.type) == (
        "v1",
        "v2",
        20,
        StrategyType.CANARY,
    )
    before = await admin.get(object_path(split))
    written = await writes.set_weight(admin, split, weight)
    expected = {"spec": {"template": {"spec": {"http": [route(weight)]}}, "governor": governor}}
    await check_exact(admin, split, written, expected)
    await stored_equals_merge(admin, before, expected, object_path(split))
    assert written.after.governor == governor
    assert dict(written.after.wanted) == {"v1": 100 - weight, "v2": weight}


async def test_the_tcp_variant_uses_tcp_with_an_explicit_empty_match(admin: KubeClient) -> None:
    namespace, _ = await seed_split(admin, protocol="tcp")
    split = await split_of(admin, namespace)
    assert split.protocol == "tcp"
    before = await admin.get(object_path(split))
    written = await writes.set_weight(admin, split, 50)
    expected = {"spec": {"template": {"spec": {"tcp": [route(50, "tcp")]}}, "governor": ""}}
    await check_exact(admin, split, written, expected)
    after = await stored_equals_merge(admin, before, expected, object_path(split))
    assert after["spec"]["template"]["spec"]["tcp"][0]["match"] == []


async def test_take_over_and_restore_on_a_blue_green_set_only_the_governor(
    admin: KubeClient,
) -> None:
    namespace, _ = await seed_split(admin)
    path = (
        f"/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/{namespace}/strategies/reviews-canary"
    )
    await admin.patch(path, {"spec": {"type": "Bluegreen"}})
    split = await split_of(admin, namespace)
    assert split.type is StrategyType.BLUE_GREEN
    before = await admin.get(path)
    taken = await writes.set_governor(admin, split, "v2")
    await check_exact(admin, split, taken, {"spec": {"governor": "v2"}})
    before = await stored_equals_merge(admin, before, {"spec": {"governor": "v2"}}, path)
    restored = await writes.set_governor(admin, taken.after, "")
    await check_exact(admin, taken.after, restored, {"spec": {"governor": ""}})
    await stored_equals_merge(admin, before, {"spec": {"governor": ""}}, path)


async def test_mirroring_on_then_off(admin: KubeClient) -> None:
    namespace, _ = await seed_split(admin)
    split = await split_of(admin, namespace)
    on = await writes.set_mirror(admin, split, True)
    template = on.sent.body["spec"]["template"]["spec"]["http"]
    assert template == [
        {
            "route": [{"destination": {"host": HOST, "subset": "v1"}, "weight": 100}],
            "mirror": {"host": HOST, "subset": "v2"},
        }
    ]
    assert on.after.type is StrategyType.MIRROR
    assert on.after.mirror == "v2"
    off = await writes.set_mirror(admin, on.after, False)
    assert off.sent.body["spec"] == {
        "type": "Canary",
        "governor": "v1",
        "template": {"spec": {"http": [route(0)]}},
    }
    assert off.after.mirror == ""
    assert off.after.governor == "v1"


async def test_offline_is_refused_without_a_governor_and_nothing_is_deleted(
    admin: KubeClient,
) -> None:
    namespace, _ = await seed_split(admin)
    split = await split_of(admin, namespace)
    with pytest.raises(KstuiError, match="take over first"):
        await writes.offline(admin, split)
    assert await admin.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/reviews-v2")
    assert await admin.get(object_path(split))


async def test_offline_after_take_over_deletes_the_loser_then_the_strategy(
    admin: KubeClient,
) -> None:
    namespace, _ = await seed_split(admin)
    split = await split_of(admin, namespace)
    taken = await writes.set_weight(admin, split, 100)  # the new version takes over
    deleted = await writes.offline(admin, taken.after)
    assert deleted == ["Deployment reviews-v1", f"Strategy {split.name}"]
    names = {
        d["metadata"]["name"]
        for d in (await admin.get(f"/apis/apps/v1/namespaces/{namespace}/deployments"))["items"]
    }
    assert names == {"reviews-v2"}


async def test_a_concurrent_change_is_shown_and_nothing_is_overwritten(
    admin: KubeClient,
) -> None:
    namespace, _ = await seed_split(admin)
    split = await split_of(admin, namespace)
    # someone else moves the template to 50/50 after kstui read it
    other = {"spec": {"template": {"spec": {"http": [route(50)]}}, "governor": ""}}
    await admin.patch(object_path(split), other)
    theirs = await admin.get(object_path(split))
    with pytest.raises(Changed) as raised:
        await writes.set_weight(admin, split, 30)
    # the Strategy's template moved; its controller carries the VirtualService's weights along
    assert raised.value.differences == [
        "weights v1 80/v2 20 → v1 50/v2 50",
        "template v1 80/v2 20 → v1 50/v2 50",
    ]
    assert raised.value.after is not None
    assert raised.value.after.new_weight == 50
    assert await admin.get(object_path(split)) == theirs  # not overwritten


async def test_undo_sets_the_previous_weights_back_conditionally(admin: KubeClient) -> None:
    namespace, _ = await seed_split(admin)
    split = await split_of(admin, namespace)
    written = await writes.set_weight(admin, split, 60)
    undone = await writes.undo(admin, written)
    assert undone.sent.body == {
        "spec": {"template": {"spec": {"http": [route(20)]}}, "governor": ""},
        "metadata": {"resourceVersion": written.after.resource_version},
    }
    # a second undo of the same write is conditional on a state that is gone: refused
    with pytest.raises(Changed):
        await writes.undo(admin, written)
    stored = await admin.get(object_path(split))
    assert stored["spec"]["template"]["spec"]["http"] == [route(20)]


async def test_a_user_without_patch_strategies_is_told_why_and_nothing_is_sent(
    sandbox: RunningSandbox, admin: KubeClient
) -> None:
    namespace, _ = await seed_split(admin)
    split = await split_of(admin, namespace)
    viewer = await viewer_client(sandbox, admin, namespace)
    try:
        before = await admin.get(object_path(split))
        with pytest.raises(NotAllowed) as raised:
            await writes.set_weight(viewer, split, 50)
        assert "you may not patch strategies" in raised.value.title
        assert "nothing was sent" in raised.value.title
        assert await admin.get(object_path(split)) == before
    finally:
        await viewer.aclose()


async def viewer_client(sandbox: RunningSandbox, admin: KubeClient, namespace: str) -> KubeClient:
    client = sandbox_client(sandbox)
    client.connection.token = await viewer_token(admin, namespace)  # type: ignore[attr-defined]
    return client


async def test_the_virtual_service_follows_the_weights_through_the_controller(
    admin: KubeClient,
) -> None:
    namespace, _ = await seed_split(admin)
    split = await split_of(admin, namespace)
    await writes.set_weight(admin, split, 45)
    for _ in range(100):
        vs = await admin.get(vs_path(namespace, HOST))
        weights = [r.get("weight") for r in vs["spec"]["http"][0]["route"]]
        if weights == [55, 45]:
            break
        await asyncio.sleep(0.02)
    assert weights == [55, 45]
    assert vs["spec"]["http"][0]["match"] == [{"port": 9080}]
    taken = await writes.set_weight(admin, (await split_of(admin, namespace)), 100)
    assert taken.after.governor == "v2"
    for _ in range(100):
        vs = await admin.get(vs_path(namespace, HOST))
        route = vs["spec"]["http"][0]["route"]
        if [(r["destination"]["subset"], r.get("weight")) for r in route] == [("v2", 100)]:
            break
        await asyncio.sleep(0.02)
    assert [(r["destination"]["subset"], r.get("weight")) for r in route] == [("v2", 100)]
