"""The job controller on a frozen clock: a Job's pods run to completion and the Job says
Complete (what `kubectl wait` and Helm hooks wait for), or Failed past its backoffLimit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import RunningSandbox
from tests.sandbox.test_identity_and_controllers import NS, advance, client, items, setup_namespace

Fresh = Callable[..., RunningSandbox]
JOBS = f"/apis/batch/v1/namespaces/{NS}/jobs"


def job(
    name: str,
    completions: int = 1,
    parallelism: int = 1,
    crash: bool = False,
    backoff_limit: int = 6,
) -> dict[str, Any]:
    template: dict[str, Any] = {
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "work", "image": "busybox:1.36", "command": ["true"]}],
        }
    }
    if crash:
        template["metadata"] = {"annotations": {"sandbox.kstui.io/crash": "true"}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "completions": completions,
            "parallelism": parallelism,
            "backoffLimit": backoff_limit,
            "template": template,
        },
    }


def job_pods(http: httpx.Client, name: str) -> list[dict[str, Any]]:
    return items(
        http, f"/api/v1/namespaces/{NS}/pods", labelSelector=f"batch.kubernetes.io/job-name={name}"
    )


def until(check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def phases(http: httpx.Client, name: str) -> list[str]:
    return [p["status"]["phase"] for p in job_pods(http, name)]


def conditions(status: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in status.get("conditions") or ()}


def test_a_job_runs_its_pods_to_completion(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    with client(running) as http:
        setup_namespace(http)
        made = http.post(JOBS, json=job("migrate", completions=3, parallelism=2))
        assert made.status_code == 201, made.text
        uid = made.json()["metadata"]["uid"]
        first = until(lambda: len(job_pods(http, "migrate")) == 2 and job_pods(http, "migrate"))
        assert first, "the job controller made no pods"
        for pod in first:
            assert pod["metadata"]["name"].startswith("migrate-")
            assert pod["metadata"]["ownerReferences"][0]["uid"] == uid
            assert pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == uid
            assert pod["metadata"]["labels"]["job-name"] == "migrate"
        status = http.get(f"{JOBS}/migrate").json()["status"]
        assert (status["active"], status["succeeded"]) == (2, 0)
        assert "completionTime" not in status

        for _ in range(6):  # start (1-3 s), then run for a second, a pod at a time
            advance(running, 3)
            until(lambda: "Pending" not in phases(http, "migrate"))
            advance(running, 2)
            if until(lambda: conditions(http.get(f"{JOBS}/migrate").json()["status"]), 1):
                break
        done = http.get(f"{JOBS}/migrate").json()["status"]
        assert conditions(done) == {"SuccessCriteriaMet": "True", "Complete": "True"}
        assert (done["succeeded"], done["failed"], done["active"]) == (3, 0, 0)
        assert done["completionTime"] >= done["startTime"]
        pods = job_pods(http, "migrate")
        assert [p["status"]["phase"] for p in pods] == ["Succeeded"] * 3
        state = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
        assert (state["exitCode"], state["reason"]) == (0, "Completed")
        ready = conditions(pods[0]["status"])
        assert (ready["Ready"], ready["ContainersReady"]) == ("False", "False")


def test_a_job_whose_pods_fail_past_its_backoff_limit_fails(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    with client(running) as http:
        setup_namespace(http)
        made = http.post(JOBS, json=job("broken", crash=True, backoff_limit=1))
        assert made.status_code == 201, made.text
        for _ in range(6):
            advance(running, 3)
            until(lambda: "Pending" not in phases(http, "broken"))
            advance(running, 2)
            if until(lambda: conditions(http.get(f"{JOBS}/broken").json()["status"]), 1):
                break
        status = http.get(f"{JOBS}/broken").json()["status"]
        assert conditions(status) == {"FailureTarget": "True", "Failed": "True"}
        assert [c["reason"] for c in status["conditions"]] == ["BackoffLimitExceeded"] * 2
        assert (status["failed"], status["succeeded"]) == (2, 0)  # the first try and one retry
        assert phases(http, "broken") == ["Failed", "Failed"]
