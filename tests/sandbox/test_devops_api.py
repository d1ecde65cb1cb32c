"""The DevOps API (API.md §3.4, §9.4) through the kube-apiserver's service proxy as anonymous,
and through the ks-apiserver door with OAuth tokens: progressive logs, stop, replay, input
steps with a submitter refusal, pipeline metadata, and the v1alpha3 delete refusal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_identity_and_controllers import advance, client
from tests.sandbox.test_pipelines import DEVOPS, PIPELINES, RUNS, get_run, new_run, run_data, settle

PROXY = "/api/v1/namespaces/kubesphere-devops-system/services/devops-apiserver:9090/proxy"
V2 = f"{PROXY}/kapis/devops.kubesphere.io/v1alpha2/namespaces/{DEVOPS}/pipelines"
GATED_PLAN = [
    {"name": "Build", "steps": [{"sh": "make build", "units": 2, "lines": 10}]},
    {
        "name": "Approve",
        "input": {"id": "Ship-it", "message": "Ship to prod?", "ok": "Ship", "submitter": "carol"},
    },
    {"name": "Deploy", "steps": [{"sh": "kubectl apply -f deploy/", "units": 1}]},
]


@pytest.fixture
def frozen(fresh_sandbox: Any) -> RunningSandbox:
    return fresh_sandbox(frozen=True, pods=0, pipeline_step_seconds=1.0, pipeline_poll_seconds=1.0)


def gated_pipeline(http: httpx.Client, name: str = "gated", submitter: str = "carol") -> None:
    plan = json.loads(json.dumps(GATED_PLAN))
    plan[1]["input"]["submitter"] = submitter
    body = {
        "apiVersion": "devops.kubesphere.io/v1alpha3",
        "kind": "Pipeline",
        "metadata": {
            "name": name,
            "namespace": DEVOPS,
            "annotations": {
                "kubesphere.io/creator": "bob",
                "sandbox.kstui.io/plan": json.dumps(plan),
            },
        },
        "spec": {"type": "pipeline", "pipeline": {"name": name}},
    }
    response = http.post(PIPELINES, json=body)
    assert response.status_code == 201, response.text


def started(
    running: RunningSandbox, http: httpx.Client, pipeline: str, tag: str, seconds: float
) -> tuple[str, str]:
    """A run of `pipeline` `seconds` into its build: (run name, build number)."""
    name = new_run(http, pipeline, [{"name": "IMAGE_TAG", "value": tag}])["metadata"]["name"]
    settle(running)
    advance(running, seconds)
    settle(running)
    run = get_run(http, name)
    return name, run["metadata"]["annotations"]["devops.kubesphere.io/jenkins-pipelinerun-id"]


def test_a_step_log_follows_through_progressive_offsets(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        name, number = started(frozen, http, "storefront-build", "3.0.0", 4)
        _, stages = run_data(http, name)
        unit_test = stages[1]
        assert unit_test["state"] == "RUNNING"
        step = unit_test["steps"][0]["id"]
        url = f"{V2}/storefront-build/runs/{number}/nodes/{unit_test['id']}/steps/{step}/log"
        first = http.get(url, params={"start": 0})
        assert first.status_code == 200, first.text
        assert first.headers["X-More-Data"] == "true"
        size = int(first.headers["X-Text-Size"])
        assert size == len(first.content) > 0
        assert first.text.startswith("+ make test\n")
        advance(frozen, 1)
        second = http.get(url, params={"start": size})
        assert second.text  # only what came since
        assert int(second.headers["X-Text-Size"]) == size + len(second.content)
        assert (first.content + second.content) == http.get(url, params={"start": 0}).content
        advance(frozen, 120)
        done = http.get(url, params={"start": int(second.headers["X-Text-Size"])})
        assert "X-More-Data" not in done.headers
        whole = http.get(f"{V2}/storefront-build/runs/{number}/log", params={"start": 0})
        assert whole.text.startswith("Started by user alice\n")
        assert whole.text.endswith("Finished: SUCCESS\n")
        assert "X-More-Data" not in whole.headers


def test_a_failing_step_log_and_the_failed_phase(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        plan = [
            {"name": "Checkout", "steps": [{"checkout": "https://git.acme.example/shop/cart.git"}]},
            {"name": "Unit Test", "steps": [{"sh": "make test", "units": 2, "fail": True}]},
            {"name": "Publish", "steps": [{"sh": "make publish"}]},
        ]
        body = {
            "apiVersion": "devops.kubesphere.io/v1alpha3",
            "kind": "Pipeline",
            "metadata": {
                "name": "flaky",
                "namespace": DEVOPS,
                "annotations": {"sandbox.kstui.io/plan": json.dumps(plan)},
            },
            "spec": {"type": "pipeline", "pipeline": {"name": "flaky"}},
        }
        assert http.post(PIPELINES, json=body).status_code == 201
        name, number = started(frozen, http, "flaky", "x", 30)
        status, stages = run_data(http, name)
        assert status["result"] == "FAILURE"
        assert [(s["state"], s["result"]) for s in stages] == [
            ("FINISHED", "SUCCESS"),
            ("FINISHED", "FAILURE"),
            ("SKIPPED", "NOT_BUILT"),
        ]
        assert get_run(http, name)["status"]["phase"] == "Failed"
        step = stages[1]["steps"][0]
        log = http.get(f"{V2}/flaky/runs/{number}/nodes/{stages[1]['id']}/steps/{step['id']}/log")
        assert "--- FAIL: TestCheckoutTotals" in log.text
        assert log.text.endswith("script returned exit code 2\n")


def test_stop_aborts_the_build_and_the_run_fails(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        name, number = started(frozen, http, "storefront-build", "stop-me", 4)
        response = http.post(
            f"{V2}/storefront-build/runs/{number}/stop",
            params={"blocking": "true", "timeOutInSecs": "10"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["result"] == "ABORTED"
        advance(frozen, 1)
        settle(frozen)
        status, stages = run_data(http, name)
        assert (status["state"], status["result"]) == ("FINISHED", "ABORTED")
        assert stages[1]["result"] == "ABORTED"
        assert stages[3]["state"] == "NOT_BUILT"
        run = get_run(http, name)
        assert run["status"]["phase"] == "Failed"
        log = http.get(f"{V2}/storefront-build/runs/{number}/log").text
        assert "Aborted by anonymous\n" in log


def test_replay_makes_a_new_build_and_run_with_the_same_parameters(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        name, number = started(frozen, http, "storefront-build", "again", 120)
        replayed = http.post(f"{V2}/storefront-build/runs/{number}/replay")
        assert replayed.status_code == 200, replayed.text
        new_number = replayed.json()["id"]
        assert int(new_number) == int(number) + 1
        settle(frozen)
        runs = http.get(RUNS).json()["items"]
        twin = next(
            r
            for r in runs
            if r["metadata"]["annotations"].get("devops.kubesphere.io/jenkins-pipelinerun-id")
            == new_number
            and r["spec"]["pipelineRef"]["name"] == "storefront-build"
        )
        assert twin["spec"]["parameters"] == [{"name": "IMAGE_TAG", "value": "again"}]
        advance(frozen, 120)
        settle(frozen)
        assert get_run(http, twin["metadata"]["name"])["status"]["phase"] == "Succeeded"
        assert get_run(http, name)["status"]["phase"] == "Succeeded"


def test_an_input_step_refuses_anonymous_when_it_names_submitters(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        gated_pipeline(http)
        name, number = started(frozen, http, "gated", "g1", 5)
        assert get_run(http, name)["status"]["phase"] == "Pending"  # PAUSED
        _, stages = run_data(http, name)
        node = stages[1]
        step = node["steps"][0]
        assert step["input"]["submitter"] == "carol"
        url = f"{V2}/gated/runs/{number}/nodes/{node['id']}/steps/{step['id']}"
        refused = http.post(url, json={"id": "Ship-it", "parameters": []})
        assert refused.status_code == 200
        assert refused.json() == {
            "allow": "false",
            "message": "you have no permission to approve this step",
        }
        detail = http.get(f"{V2}/gated/runs/{number}/nodesdetail").json()
        assert detail[1]["steps"][0]["approvable"] is False
        # as carol through the ks-apiserver door, it proceeds
        ks = frozen.sandbox.ks_apiserver()
        token = login(ks.url, "carol")["access_token"]
        kapis = f"{ks.url}/kapis/devops.kubesphere.io/v1alpha2/namespaces/{DEVOPS}/pipelines"
        ok = httpx.post(
            f"{kapis}/gated/runs/{number}/nodes/{node['id']}/steps/{step['id']}",
            json={"id": "Ship-it", "parameters": []},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ok.status_code == 200
        assert ok.content == b""
        advance(frozen, 10)
        settle(frozen)
        status, stages = run_data(http, name)
        assert status["result"] == "SUCCESS"
        assert "Approved by carol" in http.get(f"{V2}/gated/runs/{number}/log").text


def test_an_input_step_without_submitters_is_answered_by_anyone(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        gated_pipeline(http, "open-gate", submitter="")
        name, number = started(frozen, http, "open-gate", "g2", 5)
        _, stages = run_data(http, name)
        node, step = stages[1], stages[1]["steps"][0]
        url = f"{V2}/open-gate/runs/{number}/nodes/{node['id']}/steps/{step['id']}"
        assert http.post(url, json={"id": "Ship-it", "abort": True}).status_code == 200
        advance(frozen, 2)
        settle(frozen)
        status, _ = run_data(http, name)
        assert status["result"] == "ABORTED"
        assert get_run(http, name)["status"]["phase"] == "Failed"


def test_pipeline_metadata_and_branches(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        meta = http.get(f"{V2}/storefront-build").json()
        assert meta["parameters"][0]["defaultParameterValue"]["value"] == "latest"
        branches = http.get(f"{V2}/api-release/branches").json()
        assert [b["name"] for b in branches["items"]] == ["main", "release-1.4"]


def test_deleting_a_running_run_through_the_kapis_is_refused(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        name, _ = started(frozen, http, "storefront-build", "del-run", 4)
        v3 = f"{PROXY}/kapis/devops.kubesphere.io/v1alpha3/namespaces/{DEVOPS}/pipelineruns"
        refused = http.delete(f"{v3}/{name}")
        assert refused.status_code == 400
        assert "phase Running" in refused.json()["message"]
        advance(frozen, 120)
        settle(frozen)
        assert http.delete(f"{v3}/{name}").status_code == 200
        settle(frozen)
        assert http.get(f"{RUNS}/{name}").status_code == 404


def test_the_service_proxy_needs_services_proxy_rbac(frozen: RunningSandbox) -> None:
    with client(frozen, token=frozen.token("host", "alice"), user=None) as tenant:
        response = tenant.get(f"{V2}/storefront-build")
        assert response.status_code == 403
        assert "services/proxy" in response.json()["message"]


# ------------------------------------------------------------------ OAuth


def login(url: str, user: str, password: str = "P@88w0rd") -> dict[str, Any]:
    response = httpx.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "password",
            "client_id": "kubesphere",
            "client_secret": "kubesphere",
            "username": user,
            "password": password,
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()  # type: ignore[no-any-return]


def test_oauth_password_and_refresh_grants_and_401s(frozen: RunningSandbox) -> None:
    ks = frozen.sandbox.ks_apiserver()
    tokens = login(ks.url, "alice")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 7200
    kapis = f"{ks.url}/kapis/devops.kubesphere.io/v1alpha2/namespaces/{DEVOPS}/pipelines"
    meta_url = f"{kapis}/storefront-build"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(meta_url, headers=bearer).status_code == 200
    assert httpx.get(meta_url).status_code == 401
    assert (
        httpx.get(meta_url, headers={"Authorization": "Bearer forged.jwt.token"}).status_code == 401
    )
    wrong = httpx.post(
        f"{ks.url}/oauth/token",
        data={
            "grant_type": "password",
            "client_id": "kubesphere",
            "client_secret": "kubesphere",
            "username": "alice",
            "password": "nope",
        },
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    bad_client = httpx.post(
        f"{ks.url}/oauth/token",
        data={
            "grant_type": "password",
            "client_id": "kubesphere",
            "client_secret": "x",
            "username": "alice",
            "password": "P@88w0rd",
        },
    )
    assert bad_client.status_code == 401
    advance(frozen, 7201)  # the access token expired: 401, and the refresh grant renews it
    assert httpx.get(meta_url, headers=bearer).status_code == 401
    refresh = {
        "grant_type": "refresh_token",
        "client_id": "kubesphere",
        "client_secret": "kubesphere",
        "refresh_token": tokens["refresh_token"],
    }
    renewed = httpx.post(f"{ks.url}/oauth/token", data=refresh)
    assert renewed.status_code == 200, renewed.text
    fresh = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert httpx.get(meta_url, headers=fresh).status_code == 200
    assert httpx.post(f"{ks.url}/oauth/token", data=refresh).status_code == 400  # used once
    advance(frozen, 7200 + 1800 + 1)  # past the refresh token's life too
    later = {**refresh, "refresh_token": renewed.json()["refresh_token"]}
    assert httpx.post(f"{ks.url}/oauth/token", data=later).json()["error"] == "invalid_grant"


def test_kstui_sandbox_prints_the_ks_apiserver_door(tmp_path: Path) -> None:
    """`kstui sandbox` names the ks-apiserver URL (for a `devops:` config entry) and the
    demo password; its password grant answers there."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "kstui", "sandbox", "--clusters", "1", "--pods", "3"]
    process = subprocess.Popen(
        [*command, "--no-tls", "--kubeconfig", str(tmp_path / "kubeconfig")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(root)},
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("kubeconfig:") for line in lines):
            assert time.monotonic() < deadline, lines
            lines.append(process.stdout.readline())
        door = next(line for line in lines if line.strip().startswith("ks-apiserver"))
        url = door.split()[1]
        assert "(host; password P@88w0rd)" in door
        grant = {
            "grant_type": "password",
            "client_id": "kubesphere",
            "client_secret": "kubesphere",
            "username": "alice",
            "password": "P@88w0rd",
        }
        answer = httpx.post(f"{url}/oauth/token", data=grant)
        assert answer.status_code == 200, answer.text
        assert answer.json()["token_type"] == "Bearer"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
