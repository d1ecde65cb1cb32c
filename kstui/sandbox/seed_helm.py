"""Helm release Secrets, in Helm's own storage format (API.md §7.2), for any cluster.

`sh.helm.release.v1.<release>.v<revision>`, type `helm.sh/release.v1`, labels owner, name,
status, version, modifiedAt; `data.release` = base64 (Secret) of base64 (Helm) of gzip of
the release JSON. This encoder is the sandbox's own (the sandbox imports nothing else of kstui).

Seeded: `web` (nginx, three revisions: superseded, superseded, deployed), `payments-db`
(postgresql, failed) and `search-index` (elasticsearch, deployed then pending-upgrade).
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.cluster import SandboxCluster

SECRETS = ("", "secrets")


def encode_release(release: dict[str, Any]) -> str:
    """What a Secret's `data.release` holds: base64(base64(gzip(JSON))). gzip's mtime is 0
    so that a seed is the same bytes every run."""
    packed = gzip.compress(json.dumps(release).encode(), mtime=0)
    return base64.b64encode(base64.b64encode(packed)).decode()


def _moved_helm_time(text: str, delta: timedelta) -> str:
    """Helm's times carry nanoseconds ("2025-05-12T08:31:07.412395118Z"): move the seconds,
    keep the fraction as written."""
    if not text:
        return text
    whole, dot, rest = text.partition(".")
    moved = datetime.strptime(whole.removesuffix("Z") + "+0000", "%Y-%m-%dT%H:%M:%S%z") + delta
    return moved.strftime("%Y-%m-%dT%H:%M:%S") + (dot + rest if dot else "Z")


def moved_release_secret(secret: dict[str, Any], delta: timedelta) -> dict[str, Any]:
    """A seeded release Secret whose story times move to now like every other seed time: the
    times inside Helm's payload and the `modifiedAt` label too (they are not plain fields)."""
    if secret.get("type") != "helm.sh/release.v1" or "release" not in secret.get("data", {}):
        return secret
    packed = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    release = json.loads(gzip.decompress(packed) if packed[:2] == b"\x1f\x8b" else packed)
    info = release.get("info", {})
    for key in ("first_deployed", "last_deployed", "deleted"):
        if isinstance(info.get(key), str):
            info[key] = _moved_helm_time(info[key], delta)
    secret["data"]["release"] = encode_release(release)
    labels = secret["metadata"].get("labels", {})
    if str(labels.get("modifiedAt", "")).isdigit():
        labels["modifiedAt"] = str(int(labels["modifiedAt"]) + int(delta.total_seconds()))
    return secret


def release_secret(release: dict[str, Any], modified: datetime) -> dict[str, Any]:
    name, revision = release["name"], release["version"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{revision}",
            "namespace": release["namespace"],
            "labels": {
                "name": name,
                "owner": "helm",
                "status": release["info"]["status"],
                "version": str(revision),
                "modifiedAt": str(int(modified.timestamp())),
            },
            "creationTimestamp": rfc3339(modified),
        },
        "type": "helm.sh/release.v1",
        "data": {"release": encode_release(release)},
    }


def _manifest(name: str, image: str, replicas: int, password: str = "") -> str:
    secret = (
        "---\n# Source: chart/templates/secret.yaml\n"
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}-auth\ntype: Opaque\n"
        f"stringData:\n  password: {password}\n"
        if password
        else ""
    )
    return (
        secret + "---\n# Source: chart/templates/service.yaml\n"
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n"
        f"  labels:\n    app.kubernetes.io/instance: {name}\n"
        "spec:\n  ports:\n  - port: 80\n"
        "---\n# Source: chart/templates/deployment.yaml\n"
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
        f"spec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n"
        f"      - name: main\n        image: {image}\n"
    )


def _release(
    name: str,
    namespace: str,
    revision: int,
    status: str,
    chart: tuple[str, str, str],
    values: dict[str, Any],
    defaults: dict[str, Any],
    times: tuple[datetime, datetime],
    description: str,
    image: str,
) -> dict[str, Any]:
    chart_name, version, app_version = chart
    replicas = int(values.get("replicaCount", defaults.get("replicaCount", 1)))
    return {
        "name": name,
        "info": {
            "first_deployed": times[0].isoformat(timespec="microseconds"),
            "last_deployed": times[1].isoformat(timespec="microseconds"),
            "deleted": "",
            "description": description,
            "status": status,
            "notes": f"1. Get the application URL:\n  kubectl -n {namespace} port-forward "
            f"svc/{name} 8080:80\n",
        },
        "chart": {
            "metadata": {
                "name": chart_name,
                "version": version,
                "appVersion": app_version,
                "description": f"A Helm chart for {chart_name}",
                "apiVersion": "v2",
                "type": "application",
            },
            "lock": None,
            "templates": [],
            "values": defaults,
            "schema": None,
            "files": [],
        },
        "config": values,
        "manifest": _manifest(name, image, replicas, values.get("auth", {}).get("password", "")),
        "version": revision,
        "namespace": namespace,
    }


def seed_helm_releases(cluster: SandboxCluster) -> None:
    now = cluster.clock.now()
    present = {e.name for e in cluster.store.bucket(("", "namespaces")).values()}

    def where(wanted: str) -> str:
        return wanted if wanted in present else "default"

    kind = cluster.kind_of({"apiVersion": "v1", "kind": "Secret"})
    nginx_defaults = {"replicaCount": 1, "image": {"repository": "nginx", "tag": ""}}
    web_first = now - timedelta(days=9, hours=3)
    web = [
        (1, "superseded", ("nginx", "18.1.0", "1.27.0"), 1, "Install complete", 9),
        (2, "superseded", ("nginx", "18.1.0", "1.27.0"), 2, "Upgrade complete", 4),
        (3, "deployed", ("nginx", "18.2.0", "1.27.3"), 3, "Upgrade complete", 1),
    ]
    releases: list[tuple[dict[str, Any], datetime]] = []
    for revision, status, chart, replicas, description, days in web:
        at = now - timedelta(days=days, minutes=revision * 7)
        values = {"replicaCount": replicas, "auth": {"password": f"s3cr3t-{revision}"}}
        releases.append(
            (
                _release(
                    "web",
                    where("storefront"),
                    revision,
                    status,
                    chart,
                    values,
                    nginx_defaults,
                    (web_first, at),
                    description,
                    f"nginx:{chart[2]}",
                ),
                at,
            )
        )
    failed_at = now - timedelta(hours=5)
    releases.append(
        (
            _release(
                "payments-db",
                where("payments"),
                1,
                "failed",
                ("postgresql", "15.5.20", "16.4.0"),
                {"auth": {"postgresPassword": "pg-admin-pw"}, "primary": {"persistence": {}}},
                {"replicaCount": 1, "auth": {"postgresPassword": ""}},
                (failed_at, failed_at),
                'Release "payments-db" failed: context deadline exceeded',
                "postgres:16.4",
            ),
            failed_at,
        )
    )
    search_first = now - timedelta(days=3)
    pending_at = now - timedelta(minutes=2)
    for revision, status, chart, at, description in (
        (1, "deployed", ("elasticsearch", "21.3.0", "8.15.0"), search_first, "Install complete"),
        (
            2,
            "pending-upgrade",
            ("elasticsearch", "21.3.8", "8.15.3"),
            pending_at,
            "Preparing upgrade",
        ),
    ):
        releases.append(
            (
                _release(
                    "search-index",
                    where("search"),
                    revision,
                    status,
                    chart,
                    {"replicaCount": 2, "heap": "1g" if revision == 1 else "2g"},
                    {"replicaCount": 1, "heap": "512m"},
                    (search_first, at),
                    description,
                    f"elasticsearch:{chart[2]}",
                ),
                at,
            )
        )
    for release, modified in releases:
        secret = release_secret(release, modified)
        cluster.admit(kind, secret, creating=True)
        cluster.store.seed(kind, secret)
