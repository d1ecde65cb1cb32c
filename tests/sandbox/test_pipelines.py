"""The PipelineRun controller on a frozen clock: finalizer, build number, the ConfigMap's
`status` and `stage` JSON as a run moves through its stages, the phase mapping, Jenkins'
deduplication of identical queued requests, and the agent pod while a build runs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_identity_and_controllers import advance, client

Fresh = Callable[..., RunningSandbox]
DEVOPS = "shop-cicdr7x2k"
RUNS = f"/apis/devops.kubesphere.io/v1alpha3/namespaces/{DEVOPS}/pipelineruns"
PIPELINES = f"/apis/devops.kubesphere.io/v1alpha3/namespaces/{DEVOPS}/pipelines"


def new_run(
    http: httpx.Client,
    pipeline: str = "storefront-build",
    parameters: list[dict[str, str]] | None = None,
    branch: str = "",
) -> dict[str, Any]:
    """The PipelineRun API.md §3.2 says a client creates."""
    found = http.get(f"{PIPELINES}/{pipeline}").json()
    body: dict[str, Any] = {
        "apiVersion": "devops.kubesphere.io/v1alpha3",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": f"{pipeline}-",
            "namespace": DEVOPS,
            "labels": {"devops.kubesphere.io/pipeline": pipeline},
            "annotations": {"devops.kubesphere.io/creator": "alice"},
            "ownerReferences": [
                {
                    "apiVersion": "devops.kubesphere.io/v1alpha3",
                    "kind": "Pipeline",
                    "name": pipeline,
                    "uid": found["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "pipelineRef": {"kind": "Pipeline", "name": pipeline, "namespace": DEVOPS},
            "pipelineSpec": found["spec"],
            "parameters": parameters if parameters is not None else [],
        },
    }
    if branch:
        body["spec"]["scm"] = {"refName": branch, "refType": "branch"}
    response = http.post(RUNS, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def settle(running: RunningSandbox) -> None:
    """Let the controllers drain what the last request queued."""
    running.call(lambda: None)
    time.sleep(0.05)
    running.call(lambda: None)


def get_run(http: httpx.Client, name: str) -> dict[str, Any]:
    response = http.get(f"{RUNS}/{name}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def run_data(http: httpx.Client, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    configmap = http.get(f"/api/v1/namespaces/{DEVOPS}/configmaps/{name}").json()
    return json.loads(configmap["data"]["status"]), json.loads(configmap["data"]["stage"])


@pytest.fixture
def frozen(fresh_sandbox: Fresh) -> RunningSandbox:
    return fresh_sandbox(frozen=True, pods=0, pipeline_step_seconds=1.0, pipeline_poll_seconds=1.0)


def test_a_run_gets_finalizer_build_number_and_moves_through_its_stages(
    frozen: RunningSandbox,
) -> None:
    with client(frozen) as http:
        name = new_run(http, parameters=[{"name": "IMAGE_TAG", "value": "2.0.0"}])["metadata"][
            "name"
        ]
        settle(frozen)
        run = get_run(http, name)
        assert "pipelinerun.finalizers.kubesphere.io" in run["metadata"]["finalizers"]
        number = run["metadata"]["annotations"]["devops.kubesphere.io/jenkins-pipelinerun-id"]
        assert number.isdigit()
        assert run["status"]["startTime"]
        status, stages = run_data(http, name)
        assert status["state"] == "QUEUED"
        assert run["status"]["phase"] == "Running"
        assert [s["displayName"] for s in stages] == [
            "Checkout",
            "Unit Test",
            "Build Image",
            "Push Image",
        ]
        assert all("state" not in s for s in stages)  # not started
        advance(frozen, 2)
        settle(frozen)
        status, stages = run_data(http, name)
        assert status["state"] == "RUNNING"
        assert stages[0]["state"] == "RUNNING"
        assert stages[0]["steps"][0]["state"] == "RUNNING"
        assert "state" not in stages[1]
        # the tag parameter reached the build's shell steps
        advance(frozen, 60)
        settle(frozen)
        status, stages = run_data(http, name)
        assert status["state"] == "FINISHED"
        assert status["result"] == "SUCCESS"
        assert [s["result"] for s in stages] == ["SUCCESS"] * 4
        assert "storefront:2.0.0" in stages[2]["steps"][0]["displayDescription"]
        assert all(s["durationInMillis"] > 0 for s in stages)
        run = get_run(http, name)
        assert run["status"]["phase"] == "Succeeded"
        assert run["status"]["completionTime"] == status["endTime"]
        assert run["status"]["conditions"][0]["type"] == "Succeeded"
        assert run["status"]["conditions"][0]["status"] == "True"
        configmap = http.get(f"/api/v1/namespaces/{DEVOPS}/configmaps/{name}").json()
        assert configmap["metadata"]["ownerReferences"][0]["uid"] == run["metadata"]["uid"]


def test_the_agent_pod_lives_while_the_build_runs(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        name = new_run(http, parameters=[{"name": "IMAGE_TAG", "value": "2.0.1"}])["metadata"][
            "name"
        ]
        settle(frozen)
        advance(frozen, 2)
        settle(frozen)
        run = get_run(http, name)
        pod_name = run["metadata"]["annotations"]["devops.kubesphere.io/agent-pod-name"]
        pod = http.get(f"/api/v1/namespaces/kubesphere-devops-worker/pods/{pod_name}").json()
        assert pod["metadata"]["labels"] == {"jenkins": "slave", "jenkins/label": "base"}
        assert [c["name"] for c in pod["spec"]["containers"]] == ["base", "jnlp"]
        advance(frozen, 60)
        settle(frozen)
        run = get_run(http, name)
        assert "devops.kubesphere.io/agent-pod-name" not in run["metadata"]["annotations"]
        gone = http.get(f"/api/v1/namespaces/kubesphere-devops-worker/pods/{pod_name}")
        assert gone.status_code == 404 or gone.json()["metadata"].get("deletionTimestamp")


def test_an_identical_queued_request_is_merged_and_its_run_deleted(
    frozen: RunningSandbox,
) -> None:
    with client(frozen) as http:
        params = [{"name": "IMAGE_TAG", "value": "dup"}]
        first = new_run(http, parameters=params)["metadata"]["name"]
        settle(frozen)
        second = new_run(http, parameters=params)["metadata"]["name"]
        settle(frozen)
        assert http.get(f"{RUNS}/{second}").status_code == 404
        assert get_run(http, first)["metadata"]["annotations"][
            "devops.kubesphere.io/jenkins-pipelinerun-id"
        ]
        # different parameters are a build of their own
        third = new_run(http, parameters=[{"name": "IMAGE_TAG", "value": "other"}])
        settle(frozen)
        assert get_run(http, third["metadata"]["name"])["status"]["phase"] == "Running"


def test_a_run_without_pipeline_ref_is_labelled_orphan(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        body = {
            "apiVersion": "devops.kubesphere.io/v1alpha3",
            "kind": "PipelineRun",
            "metadata": {"generateName": "loose-", "namespace": DEVOPS},
            "spec": {"pipelineRef": {}, "parameters": []},
        }
        name = http.post(RUNS, json=body).json()["metadata"]["name"]
        settle(frozen)
        labels = get_run(http, name)["metadata"]["labels"]
        assert labels["devops.kubesphere.io/jenkins-pipelinerun-orphan"] == "true"


def test_deleting_a_run_removes_its_finalizer_and_build(frozen: RunningSandbox) -> None:
    with client(frozen) as http:
        name = new_run(http, parameters=[{"name": "IMAGE_TAG", "value": "del"}])["metadata"]["name"]
        settle(frozen)
        assert http.delete(f"{RUNS}/{name}").status_code == 200
        settle(frozen)
        assert http.get(f"{RUNS}/{name}").status_code == 404
