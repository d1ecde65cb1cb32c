"""The seeded DevOps data: projects in two workspaces, runs in every state with real builds
behind them (logs through the service proxy), parallel stages, an input step, a multi-branch
pipeline with branches, and parameters of every kind in the Jenkins metadata."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_devops_api import PROXY, frozen, login
from tests.sandbox.test_identity_and_controllers import advance, client
from tests.sandbox.test_pipelines import settle

__all__ = ["frozen"]  # the fixture, for the tests that act on a sandbox of their own

DELIVERY = "shop-deliveryk5v2q"
V2 = f"{PROXY}/kapis/devops.kubesphere.io/v1alpha2/namespaces/{DELIVERY}/pipelines"
DEVOPS = "/apis/devops.kubesphere.io/v1alpha3"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from kstui.sandbox.runtime import SandboxOptions
    from tests.conftest import _start

    running = _start(
        tmp_path_factory.mktemp("devops"), SandboxOptions(clusters=1, pods=0, frozen=True)
    )
    yield running
    running.thread.stop()


def runs_by_pipeline(http: Any) -> dict[str, list[dict[str, Any]]]:
    runs = http.get(f"{DEVOPS}/namespaces/{DELIVERY}/pipelineruns").json()["items"]
    out: dict[str, list[dict[str, Any]]] = {}
    for run in sorted(
        runs,
        key=lambda r: int(
            r["metadata"]["annotations"]["devops.kubesphere.io/jenkins-pipelinerun-id"]
        ),
    ):
        out.setdefault(run["metadata"]["labels"]["devops.kubesphere.io/pipeline"], []).append(run)
    return out


def data(http: Any, run: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cm = http.get(f"/api/v1/namespaces/{DELIVERY}/configmaps/{run['metadata']['name']}").json()
    return json.loads(cm["data"]["status"]), json.loads(cm["data"]["stage"])


def test_projects_in_two_workspaces(seeded: RunningSandbox) -> None:
    with client(seeded) as http:
        projects = http.get(f"{DEVOPS}/devopsprojects").json()["items"]
        workspaces = {
            p["metadata"]["name"]: p["metadata"]["labels"]["kubesphere.io/workspace"]
            for p in projects
        }
        assert workspaces[DELIVERY] == "acme-retail"
        assert workspaces["ml-cicdq4t8w"] == "beta-labs"
        namespace = http.get(f"/api/v1/namespaces/{DELIVERY}").json()
        assert namespace["metadata"]["labels"]["kubesphere.io/devopsproject"] == DELIVERY
        assert namespace["metadata"]["ownerReferences"][0]["kind"] == "DevOpsProject"


def test_runs_in_every_state(seeded: RunningSandbox) -> None:
    with client(seeded) as http:
        runs = runs_by_pipeline(http)
        cart = [data(http, r)[0]["result"] for r in runs["cart-ci"]]
        assert cart == ["SUCCESS", "ABORTED", "UNKNOWN"]
        assert [r["status"]["phase"] for r in runs["cart-ci"]] == ["Succeeded", "Failed", "Running"]
        assert {r["status"]["phase"] for r in runs["payments-nightly"]} == {"Failed"}
        assert runs["db-migrate"][0]["status"]["phase"] == "Pending"
        running = runs["cart-ci"][2]
        assert running["metadata"]["annotations"]["devops.kubesphere.io/agent-pod-name"].startswith(
            "base-"
        )
        _, stages = data(http, running)
        parallel = [s for s in stages if s["type"] == "PARALLEL"]
        assert [s["displayName"] for s in parallel] == [
            "unit",
            "lint",
            "integration",
            "security-scan",
        ]
        assert {s["firstParent"] for s in parallel} == {stages[1]["id"]}
        assert [s["state"] for s in parallel] == ["FINISHED", "FINISHED", "RUNNING", "FINISHED"]
        assert all("state" not in s for s in stages[-3:])  # not started yet


def test_a_failed_run_has_its_failing_step_log(seeded: RunningSandbox) -> None:
    with client(seeded) as http:
        run = runs_by_pipeline(http)["payments-nightly"][0]
        number = run["metadata"]["annotations"]["devops.kubesphere.io/jenkins-pipelinerun-id"]
        _, stages = data(http, run)
        failed = next(s for s in stages if s.get("result") == "FAILURE")
        assert failed["displayName"] == "Integration Test"
        step = failed["steps"][0]["id"]
        log = http.get(f"{V2}/payments-nightly/runs/{number}/nodes/{failed['id']}/steps/{step}/log")
        assert "make: *** [Makefile:12: test] Error 2" in log.text


def test_the_waiting_input_names_its_submitters(seeded: RunningSandbox) -> None:
    with client(seeded) as http:
        run = runs_by_pipeline(http)["db-migrate"][0]
        status, stages = data(http, run)
        assert status["state"] == "PAUSED"
        paused = next(s for s in stages if s.get("state") == "PAUSED")
        assert paused["input"]["submitter"] == "bob,carol"


def test_parameters_of_every_kind_and_branches(seeded: RunningSandbox) -> None:
    with client(seeded) as http:
        meta = http.get(f"{V2}/cart-ci").json()
        kinds = {p["name"]: p["type"] for p in meta["parameters"]}
        assert kinds == {
            "IMAGE_TAG": "StringParameterDefinition",
            "DEPLOY_ENV": "ChoiceParameterDefinition",
            "RUN_E2E": "BooleanParameterDefinition",
        }
        assert meta["parameters"][1]["choices"] == ["dev", "staging", "prod"]
        branches = http.get(f"{V2}/web-app/branches").json()["items"]
        assert [b["rawName"] for b in branches] == ["main", "develop", "feature/checkout-v2"]
        assert branches[2]["latestRun"]["state"] == "RUNNING"
        log = http.get(f"{V2}/web-app/branches/feature%252Fcheckout-v2/runs/1/log")
        assert log.status_code == 200, log.text
        assert log.headers["X-More-Data"] == "true"


# ------------------------------------------------------------------ seed-objects.yaml's runs

SHOP = "shop-cicdr7x2k"
SHOP_V2 = f"{PROXY}/kapis/devops.kubesphere.io/v1alpha2/namespaces/{SHOP}/pipelines"


def test_the_sample_runs_have_logs(seeded: RunningSandbox) -> None:
    with client(seeded) as http:
        failed = f"{SHOP_V2}/storefront-build/runs/13/nodes/15/steps/16/log"
        response = http.get(failed, params={"start": 0})
        assert response.status_code == 200, response.text
        assert response.text.startswith("+ make test\n")
        assert response.text.endswith("script returned exit code 2\n")
        assert "X-More-Data" not in response.headers
        running = f"{SHOP_V2}/storefront-build/runs/14/nodes/24/steps/25/log"
        assert http.get(running).headers["X-More-Data"] == "true"
        whole = http.get(f"{SHOP_V2}/storefront-build/runs/12/log").text
        assert whole.endswith("Finished: SUCCESS\n")


def test_the_sample_running_run_stops(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        stopped = http.post(f"{SHOP_V2}/storefront-build/runs/14/stop")
        assert stopped.json()["result"] == "ABORTED"
        advance(frozen, 3)
        settle(frozen)
        run = http.get(f"{DEVOPS}/namespaces/{SHOP}/pipelineruns/storefront-build-p8vzc").json()
        assert run["status"]["phase"] == "Failed"


def test_the_sample_input_refuses_anonymous_and_lets_alice_proceed(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        url = f"{SHOP_V2}/api-release/branches/main/runs/5/nodes/31/steps/32"
        refused = http.post(url, json={"id": "Approve-prod", "parameters": []}).json()
        assert refused == {
            "allow": "false",
            "message": "you have no permission to approve this step",
        }
        ks = frozen.sandbox.ks_apiserver()
        token = login(ks.url, "alice")["access_token"]
        path = url.removeprefix(PROXY)
        ok = httpx.post(
            f"{ks.url}{path}",
            json={"id": "Approve-prod", "parameters": []},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ok.status_code == 200
        advance(frozen, 3)
        settle(frozen)
        run = http.get(f"{DEVOPS}/namespaces/{SHOP}/pipelineruns/api-release-7fk2w").json()
        assert run["status"]["phase"] == "Succeeded"


def test_benchmark_pipelines_and_a_step_at_2000_lines_a_second(fresh_sandbox: Any) -> None:
    running = fresh_sandbox(frozen=True, pods=0, devops_pipelines=3, devops_runs=10)
    bench = "bench-cicdb3nch"
    with client(running) as http:
        runs = http.get(f"{DEVOPS}/namespaces/{bench}/pipelineruns").json()["items"]
        assert len(runs) == 11
        long = next(r for r in runs if r["metadata"]["name"].startswith("bench-long-"))
        assert long["status"]["phase"] == "Running"
        cm = http.get(f"/api/v1/namespaces/{bench}/configmaps/{long['metadata']['name']}").json()
        stages = json.loads(cm["data"]["stage"])
        assert len(stages) == 40
        last = stages[-1]
        url = (
            f"{PROXY}/kapis/devops.kubesphere.io/v1alpha2/namespaces/{bench}/pipelines/bench-long"
            f"/runs/1/nodes/{last['id']}/steps/{last['steps'][0]['id']}/log"
        )
        first = http.get(url)
        size = int(first.headers["X-Text-Size"])
        advance(running, 1)
        more = http.get(url, params={"start": size})
        assert 1990 <= more.text.count("\n") <= 2010
