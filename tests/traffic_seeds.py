"""Traffic splits of a test's own, written through the real API of the sandbox: a namespace, a
Service of two versions (§5.1's labels and annotation), their Deployments, a Strategy and the
VirtualService its controller would generate (§5.4), so tests never touch the seeded ones."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import uuid
from pathlib import Path
from typing import Any

import yaml

from kstui.backends.errors import Conflict
from kstui.backends.kube import KubeClient
from kstui.backends.traffic_model import ISTIO_API, STRATEGY_API

APP = {"app.kubernetes.io/name": "shop", "app.kubernetes.io/version": "v1"}
MESH = {"servicemesh.kubesphere.io/enabled": "true"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def service(name: str, port_name: str = "http-web", port: int = 9080) -> dict[str, Any]:
    labels = {**APP, "app": name}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels, "annotations": dict(MESH)},
        "spec": {"selector": labels, "ports": [{"name": port_name, "port": port}]},
    }


def deployment(name: str, version: str, replicas: int = 1) -> dict[str, Any]:
    labels = {**APP, "app": name, "version": version}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"{name}-{version}", "labels": labels, "annotations": dict(MESH)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": f"shop/{name}:{version}"}]},
            },
        },
    }


def strategy(name: str, host: str, old: int = 80, protocol: str = "http") -> dict[str, Any]:
    rule: dict[str, Any] = {
        "route": [
            {"destination": {"host": host, "subset": "v1"}, "weight": old},
            {"destination": {"host": host, "subset": "v2"}, "weight": 100 - old},
        ]
    }
    if protocol == "tcp":
        rule["match"] = []
    return {
        "apiVersion": STRATEGY_API,
        "kind": "Strategy",
        "metadata": {
            "name": name,
            "labels": {**APP, "app": host},
            "annotations": {
                "servicemesh.kubesphere.io/oldWorkloadName": f"{host}-v1",
                "servicemesh.kubesphere.io/newWorkloadName": f"{host}-v2",
            },
        },
        "spec": {
            "type": "Canary",
            "principal": "v1",
            "governor": "",
            "selector": {"matchLabels": {**APP, "app": host}},
            "strategyPolicy": "WaitForWorkloadReady",
            "template": {"spec": {"hosts": [host], protocol: [rule]}},
        },
    }


def virtual_service(host: str, old: int = 80, port: int = 9080, protocol: str = "http") -> dict:
    route = [
        {"destination": {"host": host, "subset": s, "port": {"number": port}}, "weight": w}
        for s, w in (("v1", old), ("v2", 100 - old))
    ]
    return {
        "apiVersion": ISTIO_API,
        "kind": "VirtualService",
        "metadata": {"name": host, "labels": {**APP, "app": host}},
        "spec": {"hosts": [host], protocol: [{"match": [{"port": port}], "route": route}]},
    }


async def seed_split(
    client: KubeClient,
    *,
    protocol: str = "http",
    old: int = 80,
    with_strategy: bool = True,
    ready: bool = True,
) -> tuple[str, str]:
    """A namespace with service `reviews` of versions v1 and v2; (namespace, strategy name)."""
    namespace = unique("traffic")
    await client.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    port_name = "http-web" if protocol == "http" else "tcp-db"
    await client.create(f"/api/v1/namespaces/{namespace}/services", service("reviews", port_name))
    for version in ("v1", "v2"):
        await client.create(
            f"/apis/apps/v1/namespaces/{namespace}/deployments", deployment("reviews", version)
        )
    if ready:
        await wait_ready(client, namespace, ("reviews-v1", "reviews-v2"))
    name = "reviews-canary"
    if with_strategy:
        await client.create(
            f"/apis/{STRATEGY_API}/namespaces/{namespace}/strategies",
            strategy(name, "reviews", old, protocol),
        )
        # what the controller would generate (§5.4); where the sandbox runs one, it may be first
        with contextlib.suppress(Conflict):
            await client.create(
                f"/apis/{ISTIO_API}/namespaces/{namespace}/virtualservices",
                virtual_service("reviews", old, protocol=protocol),
            )
    return namespace, name


async def wait_ready(client: KubeClient, namespace: str, names: tuple[str, ...]) -> None:
    for _ in range(200):
        ready = [
            (await client.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"))
            .get("status", {})
            .get("readyReplicas")
            for name in names
        ]
        if all(ready):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"deployments {names} never ready")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386, written here so the test does not trust the code it checks."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def without_versions(obj: dict[str, Any]) -> dict[str, Any]:
    """The object minus what every write moves (resourceVersion, generation)."""
    found = copy.deepcopy(obj)
    for key in ("resourceVersion", "generation", "managedFields"):
        found.get("metadata", {}).pop(key, None)
    return found


async def viewer_token(admin: KubeClient, namespace: str) -> str:
    """A service account that may read the traffic objects of `namespace`, not write them."""
    await admin.create(
        f"/api/v1/namespaces/{namespace}/serviceaccounts", {"metadata": {"name": "viewer"}}
    )
    rules = [
        {
            "apiGroups": ["servicemesh.kubesphere.io", "networking.istio.io", "apps", ""],
            "resources": ["strategies", "virtualservices", "deployments", "services"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    await admin.create(
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles",
        {"metadata": {"name": "traffic-viewer"}, "rules": rules},
    )
    await admin.create(
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
        {
            "metadata": {"name": "traffic-viewer"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "traffic-viewer",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "viewer", "namespace": namespace}],
        },
    )
    answer = await admin.create(
        f"/api/v1/namespaces/{namespace}/serviceaccounts/viewer/token",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
    )
    return str(answer["status"]["token"])


def viewer_kubeconfig(source: Path, target: Path, token: str, namespace: str) -> Path:
    """The sandbox's kubeconfig plus a context `viewer` on the host as that token."""
    config = yaml.safe_load(source.read_text())
    host = next(c for c in config["contexts"] if c["name"] == "host")
    config["users"].append({"name": "viewer", "user": {"token": token}})
    config["contexts"].append(
        {
            "name": "viewer",
            "context": {
                "cluster": host["context"]["cluster"],
                "user": "viewer",
                "namespace": namespace,
            },
        }
    )
    target.write_text(yaml.safe_dump(config))
    return target
