"""The app store of a 3.x-flavoured sandbox (host): KubeSphere 3.x's v1alpha1 Helm* objects
(API.md §2.7), with the generated ids 3.x gives them.

- HelmRepo `repo-bitnami3x` (acme-retail's, `spec.name: bitnami`), pointing at the sandbox's
  own copy of the bitnami charts (charts.py).
- HelmCategories `ctg-databases`, `ctg-webservers` and the built-in `ctg-uncategorized`.
- For nginx, redis and postgresql: the workspace's HelmApplication `app-<chart>3x` and its store
  copy `app-<chart>3x-store` (the one the store lists), active, with one HelmApplicationVersion
  `appv-<chart><n>` per chart version (`spec.urls`: the archive in the sandbox's repo).
- HelmReleases: `rls-shopweb3x` (nginx into shop-prod, active at spec.version 2 after one
  upgrade) and `rls-cachefail` (redis into shop-staging, failed with Helm's message).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from datetime import timedelta
from typing import Any

from kstui.sandbox.chart_catalog import REPOS
from kstui.sandbox.charts import archive_name
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.cluster import SandboxCluster

GROUP = "application.kubesphere.io"
API = f"{GROUP}/v1alpha1"
HELM_RELEASES = (GROUP, "helmreleases")
WORKSPACE, CLUSTER, NAMESPACE = (
    "kubesphere.io/workspace",
    "kubesphere.io/cluster",
    "kubesphere.io/namespace",
)
APP_ID, VERSION_ID = f"{GROUP}/app-id", f"{GROUP}/app-version-id"
REPO_ID, CATEGORY_ID = f"{GROUP}/repo-id", f"{GROUP}/app-category-id"
REPO = "repo-bitnami3x"
FINALIZER = "helmrelease.application.kubesphere.io"
CATEGORIES = {
    "ctg-databases": ("Databases", ("redis", "postgresql")),
    "ctg-webservers": ("Web servers", ("nginx",)),
    "ctg-uncategorized": ("Uncategorized", ()),
}


def app_id(chart: str) -> str:
    return f"app-{chart}3x"


def version_id(chart: str, index: int) -> str:
    return f"appv-{chart}{index}"


def _put(cluster: SandboxCluster, obj: dict[str, Any]) -> dict[str, Any]:
    kind = cluster.kind_of(obj)
    status = copy.deepcopy(obj.get("status"))
    cluster.admit(kind, obj, creating=True)
    if status is not None:
        obj["status"] = status
    cluster.store.seed(kind, obj)
    return obj


def _object(kind: str, name: str, labels: dict[str, str], spec: Any, status: Any) -> dict:
    return {
        "apiVersion": API,
        "kind": kind,
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": status,
    }


def seed_appstore_v3(host: SandboxCluster) -> None:
    if host.registry.storage_kind(HELM_RELEASES) is None:
        return
    now = host.clock.now()
    synced = rfc3339(now - timedelta(hours=3))
    url = host.charts.repo_url("bitnami") if host.charts.base_url else ""
    owned = {WORKSPACE: "acme-retail"}
    spec = {"name": "bitnami", "url": url, "syncPeriod": 0, "description": "Bitnami charts"}
    _put(
        host,
        _object("HelmRepo", REPO, owned, spec, {"state": "successful", "lastUpdateTime": synced}),
    )
    for ctg, (title, charts) in CATEGORIES.items():
        total = {"total": len(charts)}
        _put(host, _object("HelmCategory", ctg, {}, {"name": title, "description": ""}, total))
    for spec_ in REPOS["bitnami"]:
        chart = spec_.name
        category = next((c for c, (_t, names) in CATEGORIES.items() if chart in names), None)
        if category is None:
            continue
        latest = spec_.versions[0].version
        app_spec = {
            "name": chart,
            "description": spec_.description,
            "icon": spec_.icon,
            "appHome": spec_.home,
        }
        status = {"state": "active", "latestVersion": latest, "updateTime": synced}
        labels = {**owned, REPO_ID: REPO, CATEGORY_ID: category}
        _put(host, _object("HelmApplication", app_id(chart), labels, app_spec, status))
        store_labels = {**labels, WORKSPACE: "system-workspace"}
        _put(
            host,
            _object("HelmApplication", f"{app_id(chart)}-store", store_labels, app_spec, status),
        )
        for index, version in enumerate(spec_.versions):
            file = archive_name(chart, version.version)
            archive = host.charts.fetch(f"{url}/{file}") if url else None
            v_spec = {
                "name": chart,
                "version": version.version,
                "appVersion": version.app_version,
                "description": spec_.description,
                "home": spec_.home,
                "icon": spec_.icon,
                "maintainers": [{"name": spec_.maintainer}],
                "urls": [f"{url}/{file}"],
                "digest": hashlib.sha256(archive).hexdigest() if archive else "",
                "created": version.created,
            }
            v_labels = {**owned, APP_ID: app_id(chart), REPO_ID: REPO}
            _put(
                host,
                _object(
                    "HelmApplicationVersion",
                    version_id(chart, index),
                    v_labels,
                    v_spec,
                    {"state": "active", "updated": synced},
                ),
            )
    _releases(host)


def release_object(
    name: str,
    helm_name: str,
    chart: str,
    index: int,
    version: str,
    namespace: str,
    values: str,
    creator: str,
    spec_version: int = 1,
) -> dict:
    """A HelmRelease as §2.7 writes it."""
    return {
        "apiVersion": API,
        "kind": "HelmRelease",
        "metadata": {
            "name": name,
            "labels": {
                WORKSPACE: "acme-retail",
                NAMESPACE: namespace,
                CLUSTER: "host",
                APP_ID: app_id(chart),
                VERSION_ID: version_id(chart, index),
                REPO_ID: REPO,
            },
            "annotations": {"kubesphere.io/creator": creator},
            "finalizers": [FINALIZER],
        },
        "spec": {
            "name": helm_name,
            "chartName": chart,
            "chartVersion": version,
            "appId": app_id(chart),
            "appVerId": version_id(chart, index),
            "repoId": REPO,
            "values": base64.b64encode(values.encode()).decode(),
            "version": spec_version,
        },
    }


def _releases(host: SandboxCluster) -> None:
    now = host.clock.now()

    def at(minutes: int) -> str:
        return rfc3339(now - timedelta(minutes=minutes))

    web = release_object(
        "rls-shopweb3x",
        "shop-web",
        "nginx",
        0,
        "18.2.4",
        "shop-prod",
        "replicaCount: 2\n",
        "alice",
        spec_version=2,
    )
    web["status"] = {
        "state": "active",
        "version": 2,
        "lastUpdate": at(30),
        "deployStatus": [
            {"state": "active", "time": at(30), "message": ""},
            {"state": "upgrading", "time": at(31), "message": ""},
            {"state": "active", "time": at(90), "message": ""},
            {"state": "creating", "time": at(92), "message": ""},
        ],
    }
    _put(host, web)
    message = (
        'INSTALLATION FAILED: Service "shop-cache-redis" is invalid: spec.ports[0].port: '
        "Invalid value: 0: must be between 1 and 65535, inclusive"
    )
    failed = release_object(
        "rls-cachefail",
        "shop-cache3",
        "redis",
        0,
        "20.1.3",
        "shop-staging",
        "master:\n  service:\n    ports:\n      redis: 0\n",
        "alice",
    )
    failed["status"] = {
        "state": "failed",
        "version": 1,
        "message": message,
        "lastUpdate": at(12),
        "deployStatus": [
            {"state": "failed", "time": at(12), "message": message},
            {"state": "creating", "time": at(13), "message": ""},
        ],
    }
    _put(host, failed)
