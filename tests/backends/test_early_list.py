"""Issue 18: the start screen's list is asked for on a thread while the app still starts
(early_list.py), and the watch cache takes its pages as its own first list: the same rows and
resourceVersion, the watch from there, no request of its own. Anything amiss (refused, cut
off, credentials it must not handle) leaves the list to the client, errors and all."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kstui.backends import early_list
from kstui.backends.cache import CacheState, WatchCache
from kstui.backends.credentials import connect
from kstui.backends.errors import Forbidden
from kstui.backends.kube import TABLE_ACCEPT, KubeClient
from kstui.backends.kubeconfig import KubeConfig, load_kubeconfig
from tests.conftest import RunningSandbox
from tests.fresh_python import fresh_python

Fresh = Callable[..., RunningSandbox]
PODS = "/api/v1/pods"
QUERY = {"includeObject": "Metadata"}


def names(pages: list[dict[str, Any]]) -> list[str]:
    return [row["object"]["metadata"]["name"] for page in pages for row in page["rows"]]


class CountedGets:
    """The client's own GETs of a path (each page it asks for itself)."""

    def __init__(self, client: KubeClient, path: str) -> None:
        self.paths: list[str] = []
        original = client.get

        async def get(asked: str, *args: Any, **kwargs: Any) -> Any:
            if asked == path:
                self.paths.append(asked)
            return await original(asked, *args, **kwargs)

        client.get = get  # type: ignore[method-assign]


async def until(check: Callable[[], object], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 20
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def begun(config: KubeConfig, page_size: int) -> early_list.EarlyList:
    """The host's pods of all namespaces asked for early, and that early list."""
    early_list.begin_first_list(config, "host", "pods", "", page_size)
    return next(e for e in early_list._PENDING if e.config is config)


async def client_of(running: RunningSandbox, context: str) -> KubeClient:
    return KubeClient(await connect(load_kubeconfig(str(running.kubeconfig)), context))


async def test_a_list_asked_for_at_start_is_the_caches_first_list_with_no_request_of_its_own(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=60, frozen=True)
    config = load_kubeconfig(str(running.kubeconfig))
    early_list.begin_first_list(config, "host", "pods", "", 7)
    client = await client_of(running, "host")
    gets = CountedGets(client, PODS)
    cache = WatchCache(client, PODS, page_size=7)
    task = asyncio.create_task(cache.run())
    try:
        await until(lambda: cache.watches_started, "the watch")
        whole = await client.list(PODS, QUERY, accept=TABLE_ACCEPT, limit=0)
        assert len(whole["rows"]) > 7 * 5  # several pages came early
        assert gets.paths == [
            PODS
        ]  # only the list just above: every page of the cache's came early
        assert sorted(row.name for row in cache.rows.values()) == sorted(names([whole]))
        assert cache.resource_version == whole["metadata"]["resourceVersion"]  # watched from there
        assert (cache.state, cache.lists_started) == (CacheState.LIVE, 1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()


async def test_a_refused_early_list_leaves_the_refusal_to_the_client(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox()
    config = load_kubeconfig(str(running.kubeconfig))
    early_list.begin_first_list(config, "tenant", "pods", "", 7)  # alice may not list all pods
    client = await client_of(running, "tenant")
    try:
        with pytest.raises(Forbidden) as refused:
            async for _page in client.list_pages(PODS, QUERY, accept=TABLE_ACCEPT, limit=7):
                pass
        assert "pods" in str(refused.value)
    finally:
        await client.aclose()


async def test_an_early_list_cut_off_midway_is_finished_by_the_client(
    fresh_sandbox: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = fresh_sandbox(pods=60, frozen=True)
    monkeypatch.setattr(early_list, "AHEAD", 1)  # one page, then it waits for the consumer
    config = load_kubeconfig(str(running.kubeconfig))
    pending = begun(config, 7)
    await until(pending._first.done, "the first page")
    running.call(running.cluster().faults.fail_next, 1, 500, PODS)  # its second page fails
    client = await client_of(running, "host")
    gets = CountedGets(client, PODS)
    try:
        pages = [page async for page in client.list_pages(PODS, QUERY, TABLE_ACCEPT, limit=7)]
        whole = await client.list(PODS, QUERY, accept=TABLE_ACCEPT, limit=0)
        assert names(pages) == names([whole])
        assert len(gets.paths) > 2  # the client asked for the pages after the first itself
    finally:
        await client.aclose()


async def pages_read(pending: early_list.EarlyList, at_least: int) -> int:
    """How many pages the thread has read (and ended, or waits for room), once at least
    `at_least` are in."""
    slot, count = pending._first, 0
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        if not slot.done():
            if count >= at_least:
                return count
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{count} pages read, waited for {at_least}")
            await asyncio.sleep(0.01)
            continue
        item = slot.result()
        if item is None:
            return count
        count, slot = count + 1, item[1]


async def test_before_the_first_frame_a_start_list_reads_a_few_pages_then_the_rest(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=60, frozen=True)
    config = load_kubeconfig(str(running.kubeconfig))
    pending = begun(config, 2)  # ~37 pages of 2
    try:
        before = early_list.BEFORE_FIRST_FRAME
        assert await pages_read(pending, before) == before
        await asyncio.sleep(0.5)  # a page of two takes a few ms: the thread waits for room
        assert await pages_read(pending, before) == before
        early_list.first_frame_drawn()
        client = await client_of(running, "host")
        try:
            whole = await client.list(PODS, QUERY, accept=TABLE_ACCEPT, limit=0)
        finally:
            await client.aclose()
        expected = -(-len(whole["rows"]) // 2)
        assert expected > early_list.AHEAD > before  # so the thread also waits for the taker
        assert await pages_read(pending, early_list.AHEAD) == early_list.AHEAD
    finally:
        pending.stop()


def kubeconfig(tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any]) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "x",
                "clusters": [{"name": "c", "cluster": cluster}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    return path


@pytest.mark.parametrize(
    ("cluster", "user", "early"),
    [
        ({"server": "https://k:6443"}, {"token": "t"}, True),
        ({"server": "https://k:6443", "insecure-skip-tls-verify": True}, {"username": "a"}, True),
        ({"server": "http://k:8080"}, {"token": "t"}, False),
        ({"server": "https://k:6443"}, {"exec": {"command": "login"}}, False),
        ({"server": "https://k:6443"}, {"auth-provider": {"name": "oidc"}}, False),
        ({"server": "https://k:6443", "proxy-url": "http://p:3128"}, {"token": "t"}, False),
        ({"server": "https://k:6443", "tls-server-name": "api"}, {"token": "t"}, False),
    ],
)
def test_only_plain_credentials_straight_to_an_https_server_are_asked_early(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cluster: dict[str, Any],
    user: dict[str, Any],
    early: bool,
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    config = load_kubeconfig(str(kubeconfig(tmp_path, cluster, user)))
    assert early_list.eligible(config, "x") is early
    if early:
        monkeypatch.setenv("HTTPS_PROXY", "http://p:3128")  # a proxy from the environment
        assert not early_list.eligible(config, "x")


def test_a_client_and_its_caches_load_no_http_stack_until_a_request_goes_out() -> None:
    """httpx and httpcore (100-200 ms of imports) load on a thread with the first request, so
    a list handed over early reaches the screen without them."""

    code = (
        "import sys\n"
        "import kstui.backends.cache_manager, kstui.backends.discovery\n"
        "import kstui.backends.credentials\n"
        "from kstui.backends.kube import KubeClient\n"
        "class C:\n"
        "    context_name = 'x'; server = 'https://k:6443'; verify = False; proxy = None\n"
        "KubeClient(C())\n"
        "print(sorted(m for m in ('httpx', 'httpcore') if m in sys.modules))\n"
    )
    printed = fresh_python(code)
    assert printed.strip() == "[]"


def test_the_start_lists_thread_loads_no_hashing_idna_or_exec_plugin_modules(
    sandbox: RunningSandbox,
) -> None:
    """What the thread imports, the first frame waits for under the GIL: a `-data` CA is
    written without hashlib, an ASCII host name is sent without the idna codec, and the exec
    plugin machinery loads only for an exec plugin."""
    code = (
        "import json, sys\n"
        "from kstui.backends import early_list\n"
        "from kstui.backends.kubeconfig import load_kubeconfig\n"
        f"config = load_kubeconfig({str(sandbox.kubeconfig)!r})\n"
        "early = early_list.EarlyList(config, 'host', '/api/v1/namespaces', {'limit': 5},\n"
        "                             early_list.TABLE_ACCEPT)\n"
        "early.claimed.set()\n"
        "early.run()\n"
        "page = early._first.result()[0]\n"
        "print(json.dumps([json.loads(page.content)['kind'],\n"
        "                  sorted(set(sys.modules) & {'hashlib', 'encodings.idna',\n"
        "                         'kstui.backends.exec_credentials'})]))\n"
    )
    printed = fresh_python(code)
    assert json.loads(printed) == ["Table", []]


def test_a_gzipped_page_is_read_as_sent_and_an_encoding_not_asked_for_is_refused() -> None:
    page = b'{"kind":"Table","metadata":{"continue":"abc"},"rows":[]}'
    assert early_list._decoded(gzip.compress(page), "gzip") == page
    assert early_list._decoded(page, None) == page
    assert early_list._decoded(page, "br") is None  # not asked for: the client asks instead
    assert early_list._continue_token(page) == "abc"


async def test_the_backend_adopts_the_connection_the_early_list_made(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    from kstui.backends.backend import Backend, BackendSettings

    running = fresh_sandbox()
    config = load_kubeconfig(str(running.kubeconfig))
    early = begun(config, 500)
    await until(lambda: early.connection is not None, "the connection")
    backend = Backend(config, "host", BackendSettings(cache_dir=tmp_path))
    try:
        client = await backend.open()
        assert client.connection is early.connection  # the credentials were read once
        pages = [page async for page in client.list_pages(PODS, QUERY, TABLE_ACCEPT, limit=500)]
        assert pages
        assert pages[0]["rows"]
    finally:
        await backend.aclose()


async def test_with_a_start_list_the_network_stack_loads_once_its_rows_are_drawn(
    fresh_sandbox: Fresh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its imports on a thread share the GIL with the frame that draws the rows: they wait
    for the app's word (release_network), NETWORK_HOLD s at most."""
    from kstui.backends import kube_transport
    from kstui.backends.backend import Backend, BackendSettings

    loads: list[str] = []
    real_import = kube_transport.import_network_stack

    def recorded() -> None:
        loads.append("network stack")
        real_import()

    monkeypatch.setattr(kube_transport, "import_network_stack", recorded)
    monkeypatch.setattr(kube_transport, "NETWORK_HOLD", 600.0)
    running = fresh_sandbox()
    config = load_kubeconfig(str(running.kubeconfig))
    early = begun(config, 500)
    await until(lambda: early.connection is not None, "the connection")
    backend = Backend(config, "host", BackendSettings(cache_dir=tmp_path))
    try:
        client = await backend.open()  # identity and discovery ask at once: they wait
        request = asyncio.ensure_future(client.get("/api/v1/namespaces"))
        await asyncio.sleep(0.3)
        assert loads == []
        assert not request.done()
        client.release_network()  # the app: the rows are drawn
        answer = await asyncio.wait_for(request, 30)
        assert answer["items"]
        assert loads == ["network stack"]
    finally:
        await backend.aclose()


async def test_pages_that_came_while_the_app_started_reach_a_subscriber_in_one_delta(
    fresh_sandbox: Fresh,
) -> None:
    """Every page was here before the list began: the cache takes them without a turn of the
    loop, so the table draws them in one frame, not a frame a page."""
    from kstui.backends.cache_manager import CacheManager

    running = fresh_sandbox(pods=60, frozen=True)
    config = load_kubeconfig(str(running.kubeconfig))
    pending = begun(config, 7)
    early_list.first_frame_drawn()  # the app drew its first frame; the list begins later

    def arrived() -> bool:
        slot = pending._first
        while slot.done():
            item = slot.result()
            if item is None or not item[0].token:
                return True
            slot = item[1]
        return False

    await until(arrived, "every page")
    client = await client_of(running, "host")
    caches = CacheManager(client, page_size=7)
    try:
        async with caches.subscribe(PODS) as subscription:
            async for first in subscription.changes():
                if first.upserted:  # the first rows (before them: the empty start)
                    break
        whole = await client.list(PODS, QUERY, accept=TABLE_ACCEPT, limit=0)
        assert len(whole["rows"]) > 7 * 5
        assert len(first.upserted) == len(whole["rows"])  # was 7: the first page alone
        assert first.loaded
    finally:
        await caches.aclose()
        await client.aclose()
