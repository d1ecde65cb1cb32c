"""The app store as the sandbox starts (host, KubeSphere 4.x app store API).

- The seeded `bitnami` Repo and its ApplicationVersions point at the sandbox's own copy of
  those charts (charts.py): the sandbox has no network, and its repo controller, real Helm and
  kstui can all read it.
- `labs`, a workspace repo of acme-retail with `syncPeriod: 0`, asks for a sync
  (`manualTrigger`): the repo controller makes its Applications and versions as the cluster
  settles.
- An uploaded app (`storefront-chart`, repo-name `upload`) whose only version is a `draft`:
  the webhook refuses a release of it. Its chart is where KubeSphere keeps uploads: the
  ConfigMap `extension-openpitrix/storefront-chart-0.1.0`, key `BinaryKey`.
- Releases in several states, as the controller would have left them: `eu-web` (member,
  nginx, upgraded: revisions 1 superseded and 2 deployed, its Deployment and Service),
  `promo-site` (host, `failed`: the API server refused its Deployment) and `lab-broken` (host,
  `deployFailed`: values that fail broken-app's schema, with the failed job and its pod's log).
  `shop-cache` comes from seed-objects.yaml.

The validating webhook for ApplicationReleases is registered here too (host only).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import yaml

from kstui.sandbox.chart_catalog import UPLOADED
from kstui.sandbox.charts import build_archive
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers import appstore_webhook, owner_ref
from kstui.sandbox.controllers.apprelease import (
    CLUSTER_LABEL,
    FINALIZER,
    HELM_IMAGE,
    NAMESPACE_LABEL,
    RELEASE_LABEL,
    RELEASES,
    UPLOAD_NAMESPACE,
    spec_hash,
)
from kstui.sandbox.controllers.appstore import APP_LABEL, GROUP, REPO_LABEL, REPOS, VERSIONS
from kstui.sandbox.controllers.pods import CRASH_ANNOTATION, container_status
from kstui.sandbox.helm_run import command, install_log, release_record, render, values_problem
from kstui.sandbox.podlogs import LOG_ANNOTATION, LOG_ONLY_ANNOTATION
from kstui.sandbox.seed_appstore_v3 import seed_appstore_v3
from kstui.sandbox.seed_helm import release_secret
from kstui.sandbox.seed_store_access import seed_store_access

__all__ = ["seed_appstore", "seed_releases", "seed_store_access"]
from kstui.sandbox.status import ApiError


def _put(cluster: SandboxCluster, obj: dict[str, Any]) -> dict[str, Any]:
    kind = cluster.kind_of(obj)
    status = copy.deepcopy(obj.get("status"))
    cluster.admit(kind, obj, creating=True)
    if status is not None:
        obj["status"] = status
    cluster.store.seed(kind, obj)
    return obj


def seed_appstore(clusters: Mapping[str, SandboxCluster]) -> None:
    host = clusters.get("host")
    if host is not None:
        seed_appstore_v3(host)  # a 3.x host's store (none on 4.x)
    if host is None or host.registry.storage_kind(RELEASES) is None:
        return
    appstore_webhook.install(host)
    if not host.charts.base_url:
        return  # not served: nothing could be synced or installed
    _local_bitnami(host)
    _labs(host)
    _uploaded(host)


def seed_releases(clusters: Mapping[str, SandboxCluster]) -> None:
    """After the controllers settled (the labs versions exist by then)."""
    host = clusters.get("host")
    if host is None or host.registry.storage_kind(RELEASES) is None or not host.charts.base_url:
        return
    _releases(host, clusters)


def _local_bitnami(host: SandboxCluster) -> None:
    repo = host.store.get(REPOS, "", "bitnami")
    if repo is None:
        return
    url = host.charts.repo_url("bitnami")
    repo["spec"]["url"] = url
    host.store.update(host.registry.storage_kind(REPOS), repo, check_rv=False)  # type: ignore[arg-type]
    kind = host.registry.storage_kind(VERSIONS)
    for version in host.store.objects(VERSIONS):
        if (version["metadata"].get("labels") or {}).get(REPO_LABEL) != "bitnami":
            continue
        file = version["spec"]["pullUrl"].rsplit("/", 1)[-1]
        archive = host.charts.fetch(f"{url}/{file}")
        if archive is None:
            continue
        version["spec"]["pullUrl"] = f"{url}/{file}"
        version["spec"]["digest"] = hashlib.sha256(archive).hexdigest()
        host.store.update(kind, version, check_rv=False)  # type: ignore[arg-type]


def _labs(host: SandboxCluster) -> None:
    _put(
        host,
        {
            "apiVersion": f"{GROUP}/v2",
            "kind": "Repo",
            "metadata": {
                "name": "labs",
                "labels": {"kubesphere.io/workspace": "acme-retail"},
                "annotations": {
                    "kubesphere.io/alias-name": "Labs",
                    "kubesphere.io/creator": "alice",
                },
            },
            "spec": {
                "url": host.charts.repo_url("labs"),
                "syncPeriod": 0,
                "description": "Charts acme-retail tries out",
                "credential": {},
            },
            "status": {"state": "manualTrigger"},
        },
    )


def _uploaded(host: SandboxCluster) -> None:
    now = host.clock.now()
    labels = {
        REPO_LABEL: "upload",
        f"{GROUP}/app-type": "helm",
        "kubesphere.io/workspace": "acme-retail",
    }
    app = _put(
        host,
        {
            "apiVersion": f"{GROUP}/v2",
            "kind": "Application",
            "metadata": {
                "name": "storefront-chart",
                "labels": {**labels, f"{GROUP}/app-category-name": "kubesphere-app-uncategorized"},
                "annotations": {
                    "kubesphere.io/alias-name": "storefront",
                    "kubesphere.io/creator": "alice",
                    "kubesphere.io/description": "acme-retail's storefront, uploaded for review",
                },
            },
            "spec": {"appType": "helm", "abstraction": "acme-retail's storefront"},
            "status": {"state": "draft", "updateTime": rfc3339(now - timedelta(hours=3))},
        },
    )
    archive = build_archive(UPLOADED, UPLOADED.versions[0])
    if host.store.get(("", "namespaces"), "", UPLOAD_NAMESPACE) is None:
        _put(
            host, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": UPLOAD_NAMESPACE}}
        )
    _put(
        host,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "storefront-chart-0.1.0", "namespace": UPLOAD_NAMESPACE},
            "binaryData": {"BinaryKey": base64.b64encode(archive).decode()},
        },
    )
    _put(
        host,
        {
            "apiVersion": f"{GROUP}/v2",
            "kind": "ApplicationVersion",
            "metadata": {
                "name": "storefront-chart-0.1.0",
                "labels": {**labels, APP_LABEL: "storefront-chart"},
                "annotations": {"kubesphere.io/creator": "alice"},
                "ownerReferences": [owner_ref(app)],
                "finalizers": [f"{GROUP}/cleanup"],
            },
            "spec": {"versionName": "0.1.0", "appType": "helm", "created": rfc3339(now)},
            "status": {"state": "draft", "userName": "alice"},
        },
    )


def _release_object(
    name: str, cluster: str, namespace: str, version: dict[str, Any], values: str, creator: str
) -> dict[str, Any]:
    labels = version["metadata"]["labels"]
    spec = {
        "appID": labels[APP_LABEL],
        "appVersionID": version["metadata"]["name"],
        "appType": "helm",
        "values": base64.b64encode(values.encode()).decode(),
    }
    return {
        "apiVersion": f"{GROUP}/v2",
        "kind": "ApplicationRelease",
        "metadata": {
            "name": name,
            "labels": {
                CLUSTER_LABEL: cluster,
                "kubesphere.io/workspace": "acme-retail",
                NAMESPACE_LABEL: namespace,
                APP_LABEL: labels[APP_LABEL],
                f"{GROUP}/appversion-id": version["metadata"]["name"],
                f"{GROUP}/app-type": "helm",
            },
            "annotations": {
                "kubesphere.io/creator": creator,
                f"{GROUP}/app-versionName": version["spec"]["versionName"],
            },
            "finalizers": [FINALIZER],
        },
        "spec": spec,
    }


def _releases(host: SandboxCluster, clusters: Mapping[str, SandboxCluster]) -> None:
    now = host.clock.now()
    target_name = "member" if "member" in clusters else "host"
    target = clusters[target_name]
    namespace = "shop-eu" if target_name == "member" else "shop-prod"
    old = host.store.get(VERSIONS, "", "bitnami-nginx-18.1.15")
    new = host.store.get(VERSIONS, "", "bitnami-nginx-18.2.4")
    if old is None or new is None:
        return
    values = "replicaCount: 2\nservice:\n  port: 8080\n"
    given = yaml.safe_load(values)
    first, upgraded = now - timedelta(days=6, hours=2), now - timedelta(days=1, hours=4)
    history = [
        (old, "superseded", "Install complete", first),
        (new, "deployed", "Upgrade complete", upgraded),
    ]
    chart = None
    for revision, (version, state, description, at) in enumerate(history, start=1):
        chart = host.charts.chart(version["spec"]["pullUrl"])
        assert chart is not None
        record = release_record(
            chart, "eu-web", namespace, revision, given, state, description, first, at
        )
        _put(target, release_secret(record, at))
    assert chart is not None
    for obj in render(chart, "eu-web", namespace, given):
        _put(target, obj)
    rel = _release_object("eu-web", target_name, namespace, new, values, "alice")
    rel["metadata"]["creationTimestamp"] = rfc3339(first)
    rel["status"] = {
        "state": "active",
        "message": "Upgrade succeeful",
        "specHash": spec_hash(rel["spec"]),
        "installJobName": "helm-install-eu-web-x7q2fn",
        "lastUpdate": rfc3339(upgraded),
    }
    _put(host, rel)
    _failed(host, old, now)
    _deploy_failed(host, now)


def _failed(host: SandboxCluster, version: dict[str, Any], now: Any) -> None:
    """promo-site: Helm recorded the release failed (the API server refused its Deployment)."""
    values = "replicaCount: -1\n"
    chart = host.charts.chart(version["spec"]["pullUrl"])
    assert chart is not None
    given = yaml.safe_load(values)
    at = now - timedelta(hours=2, minutes=13)
    problem = ""
    for obj in render(chart, "promo-site", "shop-prod", given):
        try:
            host.admit(host.kind_of(obj), copy.deepcopy(obj), creating=True)
        except ApiError as error:
            problem = error.message
    description = f'Release "promo-site" failed: {problem}'
    record = release_record(
        chart, "promo-site", "shop-prod", 1, given, "failed", description, at, at
    )
    _put(host, release_secret(record, at))
    rel = _release_object("promo-site", "host", "shop-prod", version, values, "alice")
    rel["metadata"]["creationTimestamp"] = rfc3339(at)
    rel["status"] = {
        "state": "failed",
        "message": description,
        "specHash": spec_hash(rel["spec"]),
        "installJobName": "helm-install-promo-site-b4kq9w",
        "lastUpdate": rfc3339(at + timedelta(seconds=9)),
    }
    _put(host, rel)


def _deploy_failed(host: SandboxCluster, now: Any) -> None:
    """lab-broken: broken-app's default values fail its schema; the failed job stays."""
    version = host.store.get(VERSIONS, "", "labs-broken-app-0.3.1")
    if version is None:
        return
    chart = host.charts.chart(version["spec"]["pullUrl"])
    assert chart is not None
    at = now - timedelta(minutes=42)
    problem = values_problem(chart, {})
    job_name = "helm-install-lab-broken-m5c8tz"
    namespace = "shop-staging"
    log = install_log(chart, "lab-broken", namespace, 1, {}, at, problem, early=True)
    container = {
        "name": "helm",
        "image": HELM_IMAGE,
        "command": ["/bin/sh", "-c", command("lab-broken", namespace, "alice")],
    }
    job = _put(
        host,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": job_name,
                "namespace": namespace,
                "labels": {
                    RELEASE_LABEL: "lab-broken",
                    "kubesphere.io/managed": "true",
                    "name": job_name,
                },
                "annotations": {"executor.kubesphere.io/action": "install"},
                "creationTimestamp": rfc3339(at),
            },
            "spec": {
                "backoffLimit": 0,
                "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
            },
            "status": {
                "failed": 1,
                "startTime": rfc3339(at),
                "conditions": [
                    {
                        "type": t,
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": rfc3339(at + timedelta(seconds=4)),
                        "lastTransitionTime": rfc3339(at + timedelta(seconds=4)),
                    }
                    for t in ("FailureTarget", "Failed")
                ],
            },
        },
    )
    node = next(iter(n["metadata"]["name"] for n in host.store.objects(("", "nodes"))), "node")
    started, finished = rfc3339(at + timedelta(seconds=2)), rfc3339(at + timedelta(seconds=3))
    terminated = {
        "terminated": {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": started,
            "finishedAt": finished,
        }
    }
    _put(
        host,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{job_name}-q7w2x",
                "namespace": namespace,
                "labels": {
                    "batch.kubernetes.io/job-name": job_name,
                    "job-name": job_name,
                    "batch.kubernetes.io/controller-uid": job["metadata"]["uid"],
                    "controller-uid": job["metadata"]["uid"],
                },
                "annotations": {
                    LOG_ANNOTATION: log,
                    LOG_ONLY_ANNOTATION: "true",
                    CRASH_ANNOTATION: "true",
                },
                "ownerReferences": [owner_ref(job)],
                "creationTimestamp": rfc3339(at),
            },
            "spec": {"nodeName": node, "restartPolicy": "Never", "containers": [container]},
            "status": {
                "phase": "Failed",
                "startTime": rfc3339(at),
                "containerStatuses": [container_status(container, terminated, False)],
            },
        },
    )
    rel = _release_object("lab-broken", "host", namespace, version, "", "alice")
    rel["metadata"]["creationTimestamp"] = rfc3339(at)
    rel["status"] = {
        "state": "deployFailed",
        "message": f"deploy failed, job {job_name} has failed 1 times ",
        "specHash": spec_hash(rel["spec"]),
        "installJobName": job_name,
        "lastUpdate": rfc3339(at + timedelta(seconds=5)),
    }
    _put(host, rel)
