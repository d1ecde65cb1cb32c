"""The sandbox's app store, over HTTP: its chart repositories (real Helm reads them), the repo
controller's Applications and ApplicationVersions (names, labels, pullUrl), a manual re-sync,
an unreachable index, the ApplicationRelease webhook and the `appVersionId` trap (API.md §2)."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kstui.sandbox.charts import ChartRepos, read_chart
from kstui.sandbox.helm_run import values_problem
from tests import realclients
from tests.conftest import RunningSandbox
from tests.sandbox.test_identity_and_controllers import advance, client

Fresh = Callable[..., RunningSandbox]
G = "application.kubesphere.io"
V2 = f"/apis/{G}/v2"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def store(fresh_sandbox: Fresh) -> Iterator[tuple[RunningSandbox, httpx.Client]]:
    running = fresh_sandbox(clusters=2, pods=0, frozen=True)
    with client(running) as http:
        yield running, http


def get(http: httpx.Client, resource: str, name: str) -> dict[str, Any]:
    answer = http.get(f"{V2}/{resource}/{name}")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def names(http: httpx.Client, resource: str, selector: str) -> list[str]:
    answer = http.get(f"{V2}/{resource}", params={"labelSelector": selector})
    assert answer.status_code == 200, answer.text
    return sorted(o["metadata"]["name"] for o in answer.json()["items"])


def release(name: str, version: str, values: str = "", **labels: str) -> dict[str, Any]:
    app = version.rsplit("-", 1)[0]
    return {
        "apiVersion": f"{G}/v2",
        "kind": "ApplicationRelease",
        "metadata": {
            "name": name,
            "labels": {
                "kubesphere.io/cluster": labels.get("cluster", "host"),
                "kubesphere.io/workspace": "acme-retail",
                "kubesphere.io/namespace": labels.get("namespace", "shop-staging"),
                f"{G}/app-id": app,
                f"{G}/appversion-id": version,
                f"{G}/app-type": "helm",
            },
            "annotations": {"kubesphere.io/creator": "alice"},
        },
        "spec": {
            "appID": app,
            "appVersionID": version,
            "appType": "helm",
            "values": base64.b64encode(values.encode()).decode(),
        },
    }


def test_the_chart_repository_serves_an_index_and_archives(store: Any) -> None:
    running, _ = store
    base = running.sandbox.charts.base_url
    index = yaml.safe_load(httpx.get(f"{base}/charts/labs/index.yaml").text)
    assert index["apiVersion"] == "v1"
    broken = index["entries"]["broken-app"]
    assert [e["version"] for e in broken] == ["0.3.1", "0.2.0"]
    archive = httpx.get(f"{base}/charts/labs/{broken[0]['urls'][0]}").content
    assert broken[0]["digest"] == hashlib.sha256(archive).hexdigest()
    assert httpx.get(f"{base}/charts/labs/nothing.tgz").status_code == 404


def test_repo_sync_makes_the_apps_and_versions(store: Any) -> None:
    running, http = store
    base = running.sandbox.charts.base_url
    repo = get(http, "repos", "labs")
    assert repo["status"]["state"] == "successful"
    assert repo["spec"]["url"] == f"{base}/charts/labs"
    # chart names over 14 characters are named by the first 10 hex chars of their md5
    exporter = hashlib.md5(b"prometheus-node-exporter").hexdigest()[:10]
    assert names(http, "applications", f"{G}/repo-name=labs") == [
        f"labs-{exporter}",
        "labs-broken-app",
    ]
    app = get(http, "applications", "labs-broken-app")
    assert app["status"]["state"] == "active"
    assert app["metadata"]["labels"] == {
        f"{G}/repo-name": "labs",
        f"{G}/app-type": "helm",
        f"{G}/app-category-name": "kubesphere-app-uncategorized",
        "kubesphere.io/workspace": "acme-retail",
    }
    annotations = app["metadata"]["annotations"]
    assert annotations["kubesphere.io/alias-name"] == "broken-app"
    assert annotations[f"{G}/app-originalName"] == "broken-app"
    assert annotations[f"{G}/latest-app-version"] == "0.3.1"
    assert app["metadata"]["ownerReferences"][0]["kind"] == "Repo"
    # versions that are not DNS-safe are named by the first 12 hex chars of their sha1
    odd = hashlib.sha1(b"4.40.0+kstui.1").hexdigest()[:12]
    assert names(http, "applicationversions", f"{G}/app-id=labs-{exporter}") == [
        f"labs-{exporter}-4.39.0",
        f"labs-{exporter}-{odd}",
    ]
    version = get(http, "applicationversions", "labs-broken-app-0.3.1")
    assert version["status"]["state"] == "active"
    assert version["spec"]["versionName"] == "0.3.1"
    assert version["spec"]["pullUrl"] == f"{base}/charts/labs/broken-app-0.3.1.tgz"
    archive = httpx.get(version["spec"]["pullUrl"]).content
    assert version["spec"]["digest"] == hashlib.sha256(archive).hexdigest()
    assert version["metadata"]["labels"] == {
        f"{G}/repo-name": "labs",
        f"{G}/app-id": "labs-broken-app",
        f"{G}/app-type": "helm",
        "kubesphere.io/workspace": "acme-retail",
    }
    assert version["metadata"]["finalizers"] == [f"{G}/cleanup"]
    assert version["metadata"]["ownerReferences"][0]["name"] == "labs-broken-app"
    # the seeded bitnami repo is read from the sandbox's own copy
    redis = get(http, "applicationversions", "bitnami-redis-20.1.3")
    assert redis["spec"]["pullUrl"] == f"{base}/charts/bitnami/redis-20.1.3.tgz"
    # categories count uploaded apps only (the seeded draft upload is uncategorized)
    assert get(http, "categories", "kubesphere-app-uncategorized")["status"]["total"] == 1


def test_a_manual_trigger_syncs_again_and_removes_what_left_the_index(store: Any) -> None:
    running, http = store
    kind_path = f"{V2}/applicationversions/labs-broken-app-0.2.0"
    # a version the index no longer has: the controller deletes it on the next sync
    stray = get(http, "applicationversions", "labs-broken-app-0.3.1")
    stray["metadata"] = {
        "name": "labs-broken-app-0.1.0",
        "labels": stray["metadata"]["labels"],
        "finalizers": [f"{G}/cleanup"],
    }
    stray["spec"]["versionName"] = "0.1.0"
    assert http.post(f"{V2}/applicationversions", json=stray).status_code == 201
    assert http.get(kind_path).status_code == 200
    answer = http.patch(
        f"{V2}/repos/labs/status", json={"status": {"state": "manualTrigger"}}, headers=MERGE
    )
    assert answer.status_code == 200, answer.text
    advance(running, 0.1)
    assert get(http, "repos", "labs")["status"]["state"] == "successful"
    assert http.get(f"{V2}/applicationversions/labs-broken-app-0.1.0").status_code == 404
    assert http.get(kind_path).status_code == 200


def test_an_unreachable_index_leaves_the_repo_syncing_and_retries(store: Any) -> None:
    running, http = store
    repo = {
        "apiVersion": f"{G}/v2",
        "kind": "Repo",
        "metadata": {"name": "offline", "labels": {"kubesphere.io/workspace": "system-workspace"}},
        "spec": {"url": "https://charts.example.com/stable", "syncPeriod": 600},
    }
    assert http.post(f"{V2}/repos", json=repo).status_code == 201
    advance(running, 0.1)
    assert get(http, "repos", "offline")["status"]["state"] == "syncing"
    # served from now on: the retry (5 s later) succeeds
    running.sandbox.charts.files["stable"] = running.sandbox.charts.files["labs"]
    base = running.sandbox.charts.base_url
    answer = http.patch(
        f"{V2}/repos/offline", json={"spec": {"url": f"{base}/charts/stable"}}, headers=MERGE
    )
    assert answer.status_code == 200, answer.text
    advance(running, 6)
    assert get(http, "repos", "offline")["status"]["state"] == "successful"
    assert "offline-broken-app" in names(http, "applications", f"{G}/repo-name=offline")


def test_the_webhook_refuses_a_release_of_a_version_that_is_not_active(store: Any) -> None:
    _, http = store
    answer = http.post(
        f"{V2}/applicationreleases", json=release("shop-front", "storefront-chart-0.1.0")
    )
    assert answer.status_code == 403
    assert answer.json()["reason"] == "Forbidden"
    assert answer.json()["message"] == (
        'admission webhook "applicationrelease.application.kubesphere.io" denied the request: '
        "invalid application version: storefront-chart-0.1.0, state: draft, "
        "for release: shop-front"
    )
    missing = http.post(f"{V2}/applicationreleases", json=release("x", "labs-nothing-1.0.0"))
    assert missing.status_code == 404
    assert "labs-nothing-1.0.0" in missing.json()["message"]
    # an update to an inactive version is refused too
    made = http.post(f"{V2}/applicationreleases", json=release("cache", "bitnami-redis-20.1.3"))
    assert made.status_code == 201, made.text
    answer = http.patch(
        f"{V2}/applicationreleases/cache",
        json={"spec": {"appVersionID": "storefront-chart-0.1.0"}},
        headers=MERGE,
    )
    assert answer.status_code == 403
    assert "state: draft" in answer.json()["message"]


def test_a_lower_case_app_version_id_is_pruned_and_the_create_fails(store: Any) -> None:
    _, http = store
    body = release("cache", "bitnami-redis-20.1.3")
    body["spec"]["appVersionId"] = body["spec"].pop("appVersionID")
    answer = http.post(f"{V2}/applicationreleases", json=body)
    assert answer.status_code == 422
    assert answer.json()["message"] == (
        f'ApplicationRelease.{G} "cache" is invalid: spec.appVersionID: Required value'
    )


@pytest.mark.parametrize("major", realclients.HELM_MAJORS, ids=lambda m: f"helm{m}")
def test_real_helm_reads_the_chart_repository(store: Any, major: int, tmp_path: Path) -> None:
    running, _ = store
    binary = realclients.helm(major)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "HELM_"))}
    env.update(
        HOME=str(home),
        HELM_CACHE_HOME=str(home / "cache"),
        HELM_CONFIG_HOME=str(home / "config"),
        HELM_DATA_HOME=str(home / "data"),
    )

    def helm(*args: str) -> str:
        done = subprocess.run(
            [binary, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"helm {args}: {done.stdout}{done.stderr}"
        return done.stdout

    labs = get(store[1], "repos", "labs")["spec"]["url"]
    helm("repo", "add", "labs", labs)
    found = helm("search", "repo", "labs/broken-app", "--versions", "-o", "yaml")
    assert [v["version"] for v in yaml.safe_load(found)] == ["0.3.1", "0.2.0"]
    values = yaml.safe_load(helm("show", "values", "labs/broken-app", "--version", "0.3.1"))
    assert values["database"] == {"port": 5432, "name": "app"}
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    helm("pull", "labs/broken-app", "--version", "0.3.1", "-d", str(pulled))
    served = httpx.get(f"{labs}/broken-app-0.3.1.tgz").content
    assert (pulled / "broken-app-0.3.1.tgz").read_bytes() == served
    rendered = helm("template", "demo", "labs/broken-app", "--set", "database.host=db")
    kinds = [d["kind"] for d in yaml.safe_load_all(rendered) if d]
    assert kinds == ["Service", "Deployment"]
    assert running.sandbox.charts.base_url in labs


@pytest.mark.parametrize(
    "values",
    [
        "replicaCount: abc",
        "architecture: cluster",
        "replicaCount: -2",
        "auth: {enabled: yes2}",
        "image: {tag: 1}",
        "auth: null",
    ],
)
def test_the_sandboxs_schema_check_says_what_helm_3_says(values: str, tmp_path: Path) -> None:
    """The install job's Helm (KubeSphere runs Helm 3) and the sandbox's check, word for word."""
    archive = ChartRepos().files["bitnami"]["redis-20.1.3.tgz"]
    (tmp_path / "redis.tgz").write_bytes(archive)
    (tmp_path / "values.yaml").write_text(values + "\n")
    done = subprocess.run(
        [realclients.helm(3), "template", "x", "redis.tgz", "-f", "values.yaml"],
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    ours = values_problem(read_chart(archive), yaml.safe_load(values))
    assert done.stderr.strip() == f"Error: {ours}".strip()


def test_signed_in_users_browse_the_store_and_members_install_as_kubesphere_lets_them(
    sandbox: RunningSandbox,
) -> None:
    """ks-apiserver's roles, stated as RBAC (seed_store_access.py): alice reads categories,
    apps and versions, and may create releases (a workspace member), but not read repos,
    which hold credentials, nor change or delete releases."""
    with client(sandbox, user="alice") as tenant:
        for resource in ("categories", "applications", "applicationversions"):
            assert tenant.get(f"{V2}/{resource}").status_code == 200, resource
        assert tenant.get(f"{V2}/applicationreleases").status_code == 200
        assert tenant.get(f"{V2}/repos").status_code == 403
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"group": G, "resource": "applicationreleases"}},
        }
        for verb, allowed in (("create", True), ("delete", False), ("patch", False)):
            review["spec"]["resourceAttributes"]["verb"] = verb  # type: ignore[index]
            answer = tenant.post(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=review
            )
            assert answer.json()["status"]["allowed"] is allowed, verb
