"""The ApplicationRelease controller over HTTP on a frozen clock (API.md §2.3–§2.6): its states
as a watch sees them, the Helm job and its log, the release's workloads and Helm's own records
(decoded with kstui's reader), a schema failure, an object the API refuses, an upgrade to
revision 2, an uninstall through the finalizer, a member cluster, and the seeded releases."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kstui.backends.helm_releases import decode_secret, group
from tests import realclients
from tests.conftest import RunningSandbox
from tests.sandbox.test_appstore import MERGE, V2, Fresh, G, get, release
from tests.sandbox.test_identity_and_controllers import advance, client

NS = "shop-staging"


@pytest.fixture
def store(fresh_sandbox: Fresh) -> Iterator[tuple[RunningSandbox, httpx.Client]]:
    running = fresh_sandbox(clusters=2, pods=0, frozen=True)
    with client(running) as http:
        yield running, http


def run_for(running: RunningSandbox, seconds: float) -> None:
    """Move the frozen clock in small steps, letting the controllers act after each: a step's
    reaction (a pod started) sets the next timer (the pod ends 1 s later)."""
    for _ in range(round(seconds / 0.25)):
        advance(running, 0.25)
        running.call(lambda: None)
        running.call(lambda: None)


def states(http: httpx.Client, name: str, since: str) -> list[tuple[str, str]]:
    """(state, message) of every change to a release after `since`, as a watch replays them."""
    seen: list[tuple[str, str]] = []
    params = {
        "watch": "1",
        "resourceVersion": since,
        "fieldSelector": f"metadata.name={name}",
        "timeoutSeconds": "1",
    }
    with http.stream("GET", f"{V2}/applicationreleases", params=params) as answer:
        for line in answer.iter_lines():
            event = json.loads(line)
            status = event["object"].get("status") or {}
            step = (status.get("state", ""), status.get("message", ""))
            if event["type"] == "DELETED":
                step = ("(gone)", "")
            if not seen or seen[-1] != step:
                seen.append(step)
    return seen


def create(http: httpx.Client, body: dict[str, Any]) -> str:
    answer = http.post(f"{V2}/applicationreleases", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["metadata"]["resourceVersion"])


def helm_secrets(http: httpx.Client, name: str, ns: str = NS) -> list[dict[str, Any]]:
    answer = http.get(
        f"/api/v1/namespaces/{ns}/secrets", params={"labelSelector": f"owner=helm,name={name}"}
    )
    return sorted(answer.json()["items"], key=lambda s: int(s["metadata"]["labels"]["version"]))


def job_log(http: httpx.Client, job: str, ns: str = NS) -> str:
    pods = http.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": f"job-name={job}"})
    (pod,) = pods.json()["items"]
    return http.get(f"/api/v1/namespaces/{ns}/pods/{pod['metadata']['name']}/log").text


def test_an_install_goes_creating_created_active(store: Any) -> None:
    running, http = store
    since = create(http, release("cache", "bitnami-redis-20.1.3", "architecture: standalone\n"))
    run_for(running, 3)
    assert states(http, "cache", since) == [
        ("", ""),  # the finalizer first
        ("creating", ""),
        ("created", "Deploying"),
        ("active", "Install complete"),
    ]
    rel = get(http, "applicationreleases", "cache")
    assert rel["metadata"]["finalizers"] == ["helmrelease.application.kubesphere.io"]
    job_name = rel["status"]["installJobName"]
    assert job_name.startswith("helm-install-cache-")
    assert len(job_name) == len("helm-install-cache-") + 6
    job = http.get(f"/apis/batch/v1/namespaces/{NS}/jobs/{job_name}").json()
    assert job["metadata"]["labels"][f"{G}/app-release-name"] == "cache"
    assert job["spec"]["backoffLimit"] == 0
    assert (
        "--kube-as-user alice cache cache.tgz --namespace shop-staging"
        in (job["spec"]["template"]["spec"]["containers"][0]["command"][2])
    )
    log = job_log(http, job_name)
    assert log.startswith("history.go:56: [debug] getting history for release cache\n")
    assert "STATUS: deployed\nREVISION: 1\n" in log
    deployment = http.get(f"/apis/apps/v1/namespaces/{NS}/deployments/cache-redis").json()
    labels = deployment["metadata"]["labels"]
    assert labels["app.kubernetes.io/instance"] == "cache"
    assert labels["app.kubernetes.io/managed-by"] == "Helm"
    assert labels["helm.sh/chart"] == "redis-20.1.3"
    service = http.get(f"/api/v1/namespaces/{NS}/services/cache-redis").json()
    assert service["spec"]["ports"][0]["port"] == 6379
    (secret,) = helm_secrets(http, "cache")
    assert secret["metadata"]["name"] == "sh.helm.release.v1.cache.v1"
    revision = decode_secret(secret)
    assert (revision.status, revision.chart, revision.chart_version, revision.revision) == (
        "deployed",
        "redis",
        "20.1.3",
        1,
    )
    assert revision.values == {"architecture": "standalone"}
    assert revision.description == "Install complete"
    assert "name: cache-redis" in revision.manifest


def test_values_that_fail_the_chart_schema_end_in_deploy_failed(store: Any) -> None:
    running, http = store
    since = create(http, release("broken", "labs-broken-app-0.3.1"))
    run_for(running, 3)
    job_name = get(http, "applicationreleases", "broken")["status"]["installJobName"]
    assert states(http, "broken", since)[-2:] == [
        ("created", "Deploying"),
        ("deployFailed", f"deploy failed, job {job_name} has failed 1 times "),
    ]
    log = job_log(http, job_name)
    assert (
        "Error: values don't meet the specifications of the schema(s) in the following "
        "chart(s):\nbroken-app:\n- database: host is required\n"
    ) in log
    assert helm_secrets(http, "broken") == []  # Helm stopped before recording anything
    workloads = http.get(
        f"/apis/apps/v1/namespaces/{NS}/deployments",
        params={"labelSelector": "app.kubernetes.io/instance=broken"},
    )
    assert workloads.json()["items"] == []


def test_an_object_the_api_refuses_ends_in_failed_with_helms_reason(store: Any) -> None:
    running, http = store
    since = create(http, release("promo", "bitnami-nginx-18.2.4", "replicaCount: -1\n"))
    run_for(running, 3)
    reason = (
        'Release "promo" failed: Deployment.apps "promo-nginx" is invalid: spec.replicas: '
        "Invalid value: -1: must be greater than or equal to 0"
    )
    assert states(http, "promo", since)[-1] == ("failed", reason)
    (secret,) = helm_secrets(http, "promo")
    assert decode_secret(secret).status == "failed"
    assert decode_secret(secret).description == reason


def test_helm_runs_as_the_creator_who_may_not_write_there(store: Any) -> None:
    running, http = store
    body = release("cache", "bitnami-redis-20.1.3")
    body["metadata"]["annotations"]["kubesphere.io/creator"] = "bob"  # no role in shop-staging
    create(http, body)
    run_for(running, 3)
    status = get(http, "applicationreleases", "cache")["status"]
    assert status["state"] == "deployFailed"
    log = job_log(http, status["installJobName"])
    assert log.splitlines()[1] == (
        'Error: query: failed to query with labels: secrets is forbidden: User "bob" cannot '
        'list resource "secrets" in API group "" in the namespace "shop-staging"'
    )
    assert helm_secrets(http, "cache") == []


def test_an_upgrade_records_revision_two(store: Any) -> None:
    running, http = store
    create(http, release("cache", "bitnami-redis-20.1.3", "architecture: standalone\n"))
    run_for(running, 3)
    rel = get(http, "applicationreleases", "cache")
    since = rel["metadata"]["resourceVersion"]
    first_job = rel["status"]["installJobName"]
    rel["metadata"]["labels"][f"{G}/appversion-id"] = "bitnami-redis-19.6.4"
    rel["spec"]["appVersionID"] = "bitnami-redis-19.6.4"
    rel["spec"]["values"] = base64.b64encode(
        b"architecture: replication\nreplicaCount: 3\n"
    ).decode()
    answer = http.put(f"{V2}/applicationreleases/cache", json=rel)
    assert answer.status_code == 200, answer.text
    run_for(running, 3)
    assert states(http, "cache", since) == [
        ("active", "Install complete"),
        ("upgrading", "Install complete"),
        ("upgraded", "Deploying"),
        ("active", "Upgrade succeeful"),  # sic: KubeSphere's words
    ]
    assert get(http, "applicationreleases", "cache")["status"]["installJobName"] != first_job
    (history,) = group(decode_secret(s) for s in helm_secrets(http, "cache"))
    assert [(r.revision, r.status, r.chart_version) for r in history.history] == [
        (1, "superseded", "20.1.3"),
        (2, "deployed", "19.6.4"),
    ]
    assert history.latest.values == {"architecture": "replication", "replicaCount": 3}
    assert history.latest.description == "Upgrade complete"
    deployment = http.get(f"/apis/apps/v1/namespaces/{NS}/deployments/cache-redis").json()
    assert deployment["spec"]["replicas"] == 3
    assert deployment["metadata"]["labels"]["helm.sh/chart"] == "redis-19.6.4"


def test_uninstall_goes_through_the_finalizer(store: Any) -> None:
    running, http = store
    create(http, release("cache", "bitnami-redis-20.1.3"))
    run_for(running, 3)
    answer = http.delete(f"{V2}/applicationreleases/cache")
    assert answer.status_code == 200
    run_for(running, 0.75)  # its uninstall job's pod is running
    rel = get(http, "applicationreleases", "cache")
    assert rel["metadata"]["deletionTimestamp"]
    assert rel["metadata"]["finalizers"] == ["helmrelease.application.kubesphere.io"]
    assert (rel["status"]["state"], rel["status"]["message"]) == ("deleting", "Uninstalling")
    uninstall = rel["status"]["uninstallJobName"]
    assert uninstall.startswith("helm-uninstall-cache-")
    assert 'release "cache" uninstalled' in job_log(http, uninstall)
    run_for(running, 3)
    assert http.get(f"{V2}/applicationreleases/cache").status_code == 404
    assert helm_secrets(http, "cache") == []
    assert http.get(f"/apis/apps/v1/namespaces/{NS}/deployments/cache-redis").status_code == 404
    assert http.get(f"/api/v1/namespaces/{NS}/services/cache-redis").status_code == 404
    jobs = http.get(
        f"/apis/batch/v1/namespaces/{NS}/jobs",
        params={"labelSelector": f"{G}/app-release-name=cache"},
    )
    assert jobs.json()["items"] == []


def test_a_release_on_the_member_cluster_runs_there(store: Any) -> None:
    running, http = store
    create(http, release("eu-cache", "bitnami-redis-20.1.3", cluster="member", namespace="shop-eu"))
    run_for(running, 3)
    rel = get(http, "applicationreleases", "eu-cache")
    assert rel["status"]["state"] == "active"
    with client(running, token=running.token("member")) as member:
        member.base_url = httpx.URL(running.url("member"))
        job = rel["status"]["installJobName"]
        assert member.get(f"/apis/batch/v1/namespaces/shop-eu/jobs/{job}").status_code == 200
        assert (
            member.get("/apis/apps/v1/namespaces/shop-eu/deployments/eu-cache-redis").status_code
            == 200
        )
        assert [s["metadata"]["name"] for s in helm_secrets(member, "eu-cache", "shop-eu")] == [
            "sh.helm.release.v1.eu-cache.v1"
        ]
    assert http.get(f"/apis/batch/v1/namespaces/shop-eu/jobs/{job}").status_code == 404


def test_an_uploaded_version_installs_from_its_configmap_once_active(store: Any) -> None:
    running, http = store
    stored = http.get("/api/v1/namespaces/extension-openpitrix/configmaps/storefront-chart-0.1.0")
    assert stored.status_code == 200
    assert base64.b64decode(stored.json()["binaryData"]["BinaryKey"])[:2] == b"\x1f\x8b"
    approved = http.patch(
        f"{V2}/applicationversions/storefront-chart-0.1.0/status",
        json={"status": {"state": "active"}},
        headers=MERGE,
    )
    assert approved.status_code == 200, approved.text
    create(http, release("front", "storefront-chart-0.1.0", "greeting: hi\n"))
    run_for(running, 3)
    assert get(http, "applicationreleases", "front")["status"]["state"] == "active"
    (secret,) = helm_secrets(http, "front")
    assert decode_secret(secret).chart == "storefront"


def test_uninstalling_a_release_helm_never_recorded_drops_its_jobs(store: Any) -> None:
    running, http = store
    job = get(http, "applicationreleases", "lab-broken")["status"]["installJobName"]
    assert http.delete(f"{V2}/applicationreleases/lab-broken").status_code == 200
    run_for(running, 0.5)
    assert http.get(f"{V2}/applicationreleases/lab-broken").status_code == 404
    assert http.get(f"/apis/batch/v1/namespaces/{NS}/jobs/{job}").status_code == 404


def test_the_seeded_releases(store: Any) -> None:
    running, http = store
    found = {
        r["metadata"]["name"]: (
            r["status"]["state"],
            r["metadata"]["labels"]["kubesphere.io/cluster"],
        )
        for r in http.get(f"{V2}/applicationreleases").json()["items"]
    }
    assert found == {
        "eu-web": ("active", "member"),
        "lab-broken": ("deployFailed", "host"),
        "promo-site": ("failed", "host"),
        "shop-cache": ("active", "host"),
    }
    promo = get(http, "applicationreleases", "promo-site")["status"]["message"]
    assert promo.startswith('Release "promo-site" failed: Deployment.apps "promo-site-nginx"')
    broken = get(http, "applicationreleases", "lab-broken")["status"]
    assert "- database: host is required" in job_log(http, broken["installJobName"])
    with client(running, token=running.token("member")) as member:
        member.base_url = httpx.URL(running.url("member"))
        (history,) = group(decode_secret(s) for s in helm_secrets(member, "eu-web", "shop-eu"))
    assert [(r.revision, r.status, r.chart_version) for r in history.history] == [
        (1, "superseded", "18.1.15"),
        (2, "deployed", "18.2.4"),
    ]
    # settled: nothing moves when time passes
    before = {n: get(http, "applicationreleases", n)["metadata"]["resourceVersion"] for n in found}
    run_for(running, 10)
    after = {n: get(http, "applicationreleases", n)["metadata"]["resourceVersion"] for n in found}
    assert before == after


@pytest.mark.parametrize("major", realclients.HELM_MAJORS, ids=lambda m: f"helm{m}")
def test_real_helm_reads_what_the_controller_recorded(
    store: Any, major: int, tmp_path: Any
) -> None:
    running, http = store
    create(http, release("cache", "bitnami-redis-20.1.3", "architecture: standalone\n"))
    run_for(running, 3)
    rel = get(http, "applicationreleases", "cache")
    rel["spec"]["appVersionID"] = "bitnami-redis-19.6.4"
    assert http.put(f"{V2}/applicationreleases/cache", json=rel).status_code == 200
    run_for(running, 3)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "HELM_"))}
    env.update(
        KUBECONFIG=str(running.kubeconfig),
        HOME=str(home),
        HELM_CACHE_HOME=str(home / "cache"),
        HELM_CONFIG_HOME=str(home / "config"),
        HELM_DATA_HOME=str(home / "data"),
    )

    def helm(*args: str) -> Any:
        done = subprocess.run(
            [realclients.helm(major), *args, "-n", NS, "-o", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"helm {args}: {done.stdout}{done.stderr}"
        return json.loads(done.stdout)

    history = helm("history", "cache")
    assert [(h["revision"], h["status"], h["chart"]) for h in history] == [
        (1, "superseded", "redis-20.1.3"),
        (2, "deployed", "redis-19.6.4"),
    ]
    assert helm("get", "values", "cache") == {"architecture": "standalone"}
