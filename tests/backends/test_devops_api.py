"""The DevOps API client through the sandbox's real service proxy (API.md §3.4, §9.4), against
the sandbox's own devops-apiserver (a frozen clock moved by the test): a step log followed live
through `start`/`X-Text-Size`/`X-More-Data`, stop and replay, an input step refused to anonymous
with its reason (HTTP 200, `allow: false`), the SSAR on services/proxy before an action (a
tenant is refused, and told why), the Jenkins metadata's parameter types, and the DevOps API
down."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kstui.backends.devops_api import DevOpsError, DevOpsUnreachable, RunRef
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.pipeline_bodies import parameters_of
from kstui.backends.pipelines_service import PipelineService
from kstui.backends.session import BackendSettings, Session
from tests.conftest import RunningSandbox
from tests.devops_down import devops_down
from tests.sandbox.test_identity_and_controllers import advance, client
from tests.sandbox.test_pipelines import settle

REF = RunRef("shop-cicdr7x2k", "storefront-build", "14")
DELIVERY = "shop-deliveryk5v2q"


@pytest.fixture
def frozen(fresh_sandbox: Any) -> RunningSandbox:
    return fresh_sandbox(frozen=True, pods=0, pipeline_step_seconds=1.0, pipeline_poll_seconds=1.0)


def service(sandbox: RunningSandbox, tmp_path: Path, context: str = "host") -> PipelineService:
    config = load_kubeconfig(str(sandbox.kubeconfig))
    settings = BackendSettings(cache_dir=tmp_path / "cache")
    return PipelineService(Session(config, context, "default", settings=settings))


async def test_a_step_log_is_followed_live_through_the_offsets(
    frozen: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cart-ci #3's "integration" step (seeded, running): read while the sandbox's clock
    moves, each ask from the last `X-Text-Size`, until `X-More-Data` goes."""
    from kstui.backends.devops_api import DevOpsApi

    starts: list[str] = []
    sizes: list[str] = []
    plain = DevOpsApi.step_log

    async def counted(self: DevOpsApi, *args: Any) -> Any:
        starts.append(dict(args[-1]).get("start", ""))
        answer = await plain(self, *args)
        headers = {k.lower(): v for k, v in answer.headers.items()}
        sizes.append(headers.get("x-text-size", ""))
        return answer

    monkeypatch.setattr(DevOpsApi, "step_log", counted)
    pipelines = service(frozen, tmp_path)

    async def after(asks: int) -> None:
        for _ in range(1000):  # the client's own pace: wait for its n-th ask
            if len(starts) >= asks:
                return
            await asyncio.sleep(0.02)

    async def grow() -> None:
        await after(2)  # a quiet ask while the step runs
        await asyncio.to_thread(advance, frozen, 3)
        await after(4)
        await asyncio.to_thread(advance, frozen, 1000)  # the step (and the build) ends

    grower = asyncio.create_task(grow())
    got: list[str] = []
    ref = RunRef(DELIVERY, "cart-ci", "3")
    async with asyncio.timeout(30):
        async for lines in pipelines.follow("host", ref, "13", "14"):
            got += lines
    await grower
    numbered = [int(line[1:6]) for line in got if line.startswith("[")]
    assert len(numbered) > 100
    assert numbered == list(range(numbered[0], numbered[0] + len(numbered)))  # no gap, no repeat
    assert starts[0] == "0"
    assert starts[1:] == sizes[:-1]  # every ask from where the last answer ended
    assert len(set(starts)) >= 3


async def test_stop_replay_and_an_input_refused_with_its_reason(
    frozen: RunningSandbox, tmp_path: Path
) -> None:
    from tests.sandbox.test_devops_api import PROXY

    v2 = f"{PROXY}/kapis/devops.kubesphere.io/v1alpha2/namespaces"
    pipelines = service(frozen, tmp_path)
    said = await pipelines.act("host", "stop run #14", lambda api: api.stop(REF))
    assert "as anonymous" in said
    await asyncio.to_thread(advance, frozen, 1)
    settle(frozen)
    with client(frozen) as http:
        run = http.get(f"{v2}/shop-cicdr7x2k/pipelines/storefront-build/runs/14").json()
        assert run["result"] == "ABORTED"
    await pipelines.act(
        "host",
        "replay run #13",
        lambda api: api.replay(RunRef(REF.namespace, REF.pipeline, "13")),
    )
    settle(frozen)
    with client(frozen) as http:
        runs = http.get(
            "/apis/devops.kubesphere.io/v1alpha3/namespaces/shop-cicdr7x2k/pipelineruns"
        )
        ids = {
            r["metadata"]["annotations"].get("devops.kubesphere.io/jenkins-pipelinerun-id")
            for r in runs.json()["items"]
        }
        assert "15" in ids  # the replayed build's PipelineRun
    gated = RunRef(DELIVERY, "db-migrate", "1")
    api = await pipelines.api("host")
    nodes = await api.nodes(gated)
    node, step = next(
        (n["id"], s["id"]) for n in nodes for s in n.get("steps") or () if s.get("input")
    )
    for abort in (False, True):
        with pytest.raises(DevOpsError) as refused:
            await pipelines.act(
                "host",
                "proceed",
                lambda api, abort=abort: api.answer_input(
                    gated, node, step, "Apply-migration", abort=abort
                ),
            )
        assert refused.value.reason == "you have no permission to approve this step"
    with client(frozen) as http:
        still = http.get(f"{v2}/{DELIVERY}/pipelines/db-migrate/runs/1").json()
        assert still["state"] == "PAUSED"


async def test_parameters_of_both_jenkins_metadata_forms(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """cart-ci's metadata names Jenkins' definition classes with `defaultParameterValue`;
    storefront-build (a YAML sample) the short `"type": "string"`: both read."""
    pipelines = service(sandbox, tmp_path)
    overview = await pipelines.overview()
    rows = {p.name: p for p in overview.pipelines}
    cart = parameters_of(await pipelines.pipeline(rows["cart-ci"]))
    assert [(p.name, p.kind, p.default, p.choices) for p in cart] == [
        ("IMAGE_TAG", "string", "latest", ()),
        ("DEPLOY_ENV", "choice", "dev", ("dev", "staging", "prod")),
        ("RUN_E2E", "boolean", "true", ()),
    ]
    store = parameters_of(await pipelines.pipeline(rows["storefront-build"]))
    assert [(p.name, p.kind) for p in store] == [("IMAGE_TAG", "string")]


async def test_an_action_is_checked_on_services_proxy_first(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    tenant = service(sandbox, tmp_path, context="tenant")
    sent: list[str] = []
    with pytest.raises(DevOpsError) as refused:
        await tenant.act("tenant", "stop run #14", lambda api: sent.append("stop"))
    assert "services/proxy" in refused.value.reason
    assert "not allowed" in refused.value.reason
    assert sent == []  # nothing was sent
    verdict = await tenant.permission("devops.act", context="tenant")
    assert not verdict.allowed


async def test_no_devops_api_is_said_as_such(sandbox: RunningSandbox, tmp_path: Path) -> None:
    pipelines = service(sandbox, tmp_path)

    async def read() -> None:
        async for _ in pipelines.follow("host", REF, "24", "25"):
            pass

    async with devops_down(sandbox):
        with pytest.raises(DevOpsUnreachable) as down:
            await read()
    assert down.value.title.startswith("no DevOps API")


async def test_a_cluster_without_devops_is_named_not_failed(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kstui.backends.errors import ApiError
    from kstui.backends.kube import KubeClient

    plain = KubeClient.list
    member = sandbox.url("member")

    async def no_devops_on_member(self: KubeClient, path: str, *args: object, **kw: object):  # type: ignore[no-untyped-def]
        if self.connection.server.rstrip("/") == member.rstrip("/") and "devops" in path:
            raise ApiError(404, "the server could not find the requested resource")
        return await plain(self, path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(KubeClient, "list", no_devops_on_member)
    overview = await service(sandbox, tmp_path).overview()
    assert {p.cluster for p in overview.pipelines} == {"host"}
    assert "member: no KubeSphere DevOps" in overview.warnings


async def test_the_oauth_door_renews_once_per_refresh_token_and_a_401_asks_again(
    frozen: RunningSandbox,
) -> None:
    """The sandbox's ks-apiserver: the password grant once, the access token renewed before
    it expires by the sandbox clock, the used refresh token refused afterwards; a token the
    server holds expired (kstui's clock behind) answers 401: both forgotten, asked again."""
    import httpx

    from kstui.backends.devops_api import DevOpsApi, KsApiWay
    from kstui.backends.devops_endpoint import KsApiEndpoint
    from kstui.backends.devops_login import KsLogin, LoginNeeded, httpx_token_post
    from tests.unit.test_devops_login import MemoryStore

    url = frozen.sandbox.ks_apiserver("host").url
    endpoint = KsApiEndpoint(url, "alice")
    cluster_clock = frozen.sandbox.cluster().clock
    held = {"now": cluster_clock.now().timestamp()}

    async def post(to: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        return await (await httpx_token_post(endpoint))(to, form)

    store = MemoryStore()
    login = KsLogin(endpoint, post, store=store, clock=lambda: held["now"])
    await login.login("P@88w0rd")
    first = store.kept[login.entry]
    http = httpx.AsyncClient(base_url=url)
    api = DevOpsApi(KsApiWay(login, http))
    ref = RunRef("shop-cicdr7x2k", "storefront-build", "13")
    assert (await api.run_log(ref, {"start": "0"})).text.endswith("Finished: FAILURE\n")

    await asyncio.to_thread(advance, frozen, 7200 - 30)  # inside the renewal margin
    held["now"] = cluster_clock.now().timestamp()
    assert (await api.run_log(ref, {"start": "0"})).text
    assert login.grants == ["password", "refresh_token"]
    second = store.kept[login.entry]
    assert second != first
    again = await post(
        f"{url}/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": first,
            "client_id": "kubesphere",
            "client_secret": "kubesphere",
        },
    )
    assert again[0] == 400  # a refresh token works once
    assert again[1]["error"] == "invalid_grant"

    await asyncio.to_thread(advance, frozen, 7300)  # kstui's clock stays behind
    with pytest.raises(LoginNeeded) as asked:
        await api.run_log(ref, {"start": "0"})
    assert "401" in asked.value.title
    assert store.kept == {}
    await http.aclose()


async def test_a_run_listed_finished_but_running_now_is_not_deleted(
    frozen: RunningSandbox, tmp_path: Path
) -> None:
    """The phase is read again before the delete: a row seconds old is not trusted."""
    import dataclasses

    from kstui.backends.errors import KstuiError

    pipelines = service(frozen, tmp_path)
    overview = await pipelines.overview()
    row = next(p for p in overview.pipelines if p.name == "storefront-build")
    running = next(r for r in await pipelines.runs(row) if r.phase == "Running")
    stale = dataclasses.replace(running, phase="Succeeded", finished_at=running.started)
    with pytest.raises(KstuiError) as refused:
        await pipelines.delete_run(stale)
    assert "is Running: only a finished run can be deleted" in refused.value.title
    assert any(r.name == running.name for r in await pipelines.runs(row))
