"""S2I/B2I: seeded templates, builders and finished runs with their image; a new S2iRun becomes
a Job whose pod's log is the build's, then Successful with the image it pushed (or Failed)."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import RunningSandbox
from tests.sandbox.test_identity_and_controllers import client

S2I = "/apis/devops.kubesphere.io/v1alpha1"
NS = "shop-staging"


def wait_state(http: Any, name: str, states: set[str], timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = http.get(f"{S2I}/namespaces/{NS}/s2iruns/{name}").json()
        if (run.get("status") or {}).get("runState") in states:
            return run  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, run
        time.sleep(0.1)


def test_seeded_templates_builders_and_runs(sandbox: RunningSandbox) -> None:
    with client(sandbox) as http:
        templates = http.get(f"{S2I}/s2ibuildertemplates").json()["items"]
        assert {t["spec"]["codeFramework"] for t in templates} >= {"java", "nodejs", "python"}
        builders = {
            b["metadata"]["name"]: b
            for b in http.get(f"{S2I}/namespaces/{NS}/s2ibuilders").json()["items"]
        }
        assert builders["cart-web-s2i"]["status"]["lastRunState"] == "Successful"
        runs = http.get(f"{S2I}/namespaces/{NS}/s2iruns").json()["items"]
        by_builder = {r["spec"]["builderName"]: r for r in runs}
        ok = by_builder["cart-web-s2i"]["status"]
        assert ok["s2iBuildResult"]["imageName"] == "registry.acme.example/shop/cart-web:v1.4.2"
        assert by_builder["payments-b2i"]["status"]["s2iBuildSource"]["binaryName"] == (
            "payments-2.1.0.jar"
        )
        assert by_builder["recs-s2i"]["status"]["runState"] == "Failed"


def test_a_new_run_builds_through_a_job_and_reports_its_image(sandbox: RunningSandbox) -> None:
    with client(sandbox) as http:
        # other tests on this shared sandbox may run the same builder: count from here
        before = http.get(f"{S2I}/namespaces/{NS}/s2ibuilders/cart-web-s2i").json()
        runs_before = before["status"]["runCount"]
        body = {
            "apiVersion": "devops.kubesphere.io/v1alpha1",
            "kind": "S2iRun",
            "metadata": {"generateName": "cart-web-s2i-", "namespace": NS},
            "spec": {"builderName": "cart-web-s2i", "newTag": "v1.5.0"},
        }
        created = http.post(f"{S2I}/namespaces/{NS}/s2iruns", json=body)
        assert created.status_code == 201, created.text
        name = created.json()["metadata"]["name"]
        running = wait_state(http, name, {"Running", "Successful"})
        job = running["status"]["kubernetesJobName"]
        assert job.startswith("cart-web-s2i-")
        assert job.endswith("-job")
        pods = http.get(
            f"/api/v1/namespaces/{NS}/pods", params={"labelSelector": f"job-name={job}"}
        ).json()["items"]
        assert pods
        assert pods[0]["spec"]["containers"][0]["name"] == "s2irun"
        done = wait_state(http, name, {"Successful", "Failed"})
        assert done["status"]["runState"] == "Successful"
        image = "registry.acme.example/shop/cart-web:v1.5.0"
        assert done["status"]["s2iBuildResult"]["imageName"] == image
        log = http.get(f"/api/v1/namespaces/{NS}/pods/{pods[0]['metadata']['name']}/log")
        assert log.status_code == 200
        builder = http.get(f"{S2I}/namespaces/{NS}/s2ibuilders/cart-web-s2i").json()
        assert builder["status"]["lastRunName"] == name
        assert builder["status"]["runCount"] == runs_before + 1


def test_a_failing_builder_fails_its_run(sandbox: RunningSandbox) -> None:
    with client(sandbox) as http:
        body = {
            "apiVersion": "devops.kubesphere.io/v1alpha1",
            "kind": "S2iRun",
            "metadata": {"generateName": "recs-s2i-", "namespace": NS},
            "spec": {"builderName": "recs-s2i"},
        }
        name = http.post(f"{S2I}/namespaces/{NS}/s2iruns", json=body).json()["metadata"]["name"]
        done = wait_state(http, name, {"Successful", "Failed"}, timeout=30)
        assert done["status"]["runState"] == "Failed"
        assert "s2iBuildResult" not in done["status"]
