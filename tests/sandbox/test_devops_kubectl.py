"""Real kubectl on the DevOps kinds: list projects, pipelines and runs, and create a
PipelineRun (generateName, as the console does) that the controller then runs; the agent pod a
running build leaves in the cluster (API.md §9.5): its events and its `jnlp` log."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_identity_and_controllers import client
from tests.sandbox.test_kubectl import kubectl, names

pytestmark = pytest.mark.kubectl
DELIVERY = "shop-deliveryk5v2q"


def test_kubectl_gets_projects_pipelines_and_runs(kubectl_env: dict[str, str]) -> None:
    out = kubectl(kubectl_env, "get", "devopsprojects", "--no-headers").stdout
    assert {"shop-cicdr7x2k", DELIVERY, "ml-cicdq4t8w"} <= set(names(out))
    out = kubectl(kubectl_env, "get", "pipelines,pipelineruns", "-n", DELIVERY).stdout
    assert "pipeline.devops.kubesphere.io/cart-ci" in out
    assert "pipelinerun.devops.kubesphere.io/db-migrate-" in out


def test_kubectl_creates_a_run_the_controller_runs(
    kubectl_env: dict[str, str], sandbox: RunningSandbox
) -> None:
    pipeline = json.loads(
        kubectl(
            kubectl_env, "get", "pipeline", "payments-nightly", "-n", DELIVERY, "-o", "json"
        ).stdout
    )
    run = {
        "apiVersion": "devops.kubesphere.io/v1alpha3",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": "payments-nightly-",
            "namespace": DELIVERY,
            "labels": {"devops.kubesphere.io/pipeline": "payments-nightly"},
            "annotations": {"devops.kubesphere.io/creator": "admin"},
            "ownerReferences": [
                {
                    "apiVersion": "devops.kubesphere.io/v1alpha3",
                    "kind": "Pipeline",
                    "name": "payments-nightly",
                    "uid": pipeline["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "pipelineRef": {"kind": "Pipeline", "name": "payments-nightly", "namespace": DELIVERY},
            "pipelineSpec": pipeline["spec"],
            "parameters": [{"name": "RUN", "value": "kubectl"}],
        },
    }
    out = kubectl(kubectl_env, "create", "-f", "-", "-o", "name", stdin=json.dumps(run)).stdout
    name = out.strip().split("/")[-1]
    assert name.startswith("payments-nightly-")
    deadline = time.monotonic() + 20
    while True:
        got = json.loads(
            kubectl(kubectl_env, "get", "pipelinerun", name, "-n", DELIVERY, "-o", "json").stdout
        )
        annotations = got["metadata"].get("annotations") or {}
        if "devops.kubesphere.io/jenkins-pipelinerun-id" in annotations and got.get(
            "status", {}
        ).get("phase"):
            break
        assert time.monotonic() < deadline, got
        time.sleep(0.2)
    assert "pipelinerun.finalizers.kubesphere.io" in got["metadata"]["finalizers"]
    assert got["status"]["phase"] in ("Running", "Failed")
    printed = kubectl(
        kubectl_env, "get", "pipelinerun", name, "-n", DELIVERY, "--no-headers"
    ).stdout
    assert annotations["devops.kubesphere.io/jenkins-pipelinerun-id"] in printed.split()


def test_the_agent_pod_has_events_and_a_jnlp_log(sandbox: RunningSandbox) -> None:
    with client(sandbox) as http:
        runs = http.get(
            f"/apis/devops.kubesphere.io/v1alpha3/namespaces/{DELIVERY}/pipelineruns"
        ).json()["items"]
        waiting = next(r for r in runs if r["metadata"]["name"].startswith("db-migrate-"))
        pod = waiting["metadata"]["annotations"]["devops.kubesphere.io/agent-pod-name"]
        worker = "/api/v1/namespaces/kubesphere-devops-worker"
        found = http.get(f"{worker}/pods/{pod}").json()
        assert found["metadata"]["labels"]["jenkins"] == "slave"
        assert (
            found["spec"]["nodeName"]
            == waiting["metadata"]["annotations"]["devops.kubesphere.io/agent-node-name"]
        )
        log = http.get(f"{worker}/pods/{pod}/log", params={"container": "jnlp"}).text
        assert f"Setting up agent: {pod}" in log
        assert "hudson.remoting.jnlp.Main$CuiListener#status: Connected" in log
        events = http.get(
            f"{worker}/events", params={"fieldSelector": f"involvedObject.name={pod}"}
        ).json()["items"]
        assert {"Scheduled", "Pulled", "Created", "Started"} <= {e["reason"] for e in events}
