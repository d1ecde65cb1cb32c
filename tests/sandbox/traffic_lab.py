"""Helpers of the traffic tests: the objects and patches of API.md §5 against a sandbox over
HTTP (a mesh Service, its versions, a Strategy, the console's slider patch)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

MERGE = {"Content-Type": "application/merge-patch+json"}
NS = "shop-prod"
STRATEGIES = f"/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/{NS}/strategies"
VS = f"/apis/networking.istio.io/v1beta1/namespaces/{NS}/virtualservices"
DR = f"/apis/networking.istio.io/v1beta1/namespaces/{NS}/destinationrules"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NS}/deployments"
SERVICES = f"/api/v1/namespaces/{NS}/services"
ENABLED = {"servicemesh.kubesphere.io/enabled": "true"}
SMALL = {  # shop-prod has a quota: its pods must say what they use
    "resources": {
        "requests": {"cpu": "10m", "memory": "16Mi"},
        "limits": {"cpu": "20m", "memory": "32Mi"},
    }
}


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def eventually(check: Callable[[], Any], within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def route(host: str, subset: str, weight: int, port: int | None = None) -> dict[str, Any]:
    destination: dict[str, Any] = {"host": host, "subset": subset}
    if port is not None:
        destination["port"] = {"number": port}
    return {"destination": destination, "weight": weight}


def slider_patch(host: str, old: str, new: str, n: int, tcp: bool = False) -> dict[str, Any]:
    """§5.3: the console's merge patch for the slider at N % (TCP: key `tcp`, `match: []`)."""
    item: dict[str, Any] = {"route": [route(host, old, 100 - n), route(host, new, n)]}
    if tcp:
        item["match"] = []
    governor = new if n == 100 else old if n == 0 else ""
    key = "tcp" if tcp else "http"
    return {"spec": {"template": {"spec": {key: [item]}}, "governor": governor}}


def vs_spec(http: httpx.Client, name: str) -> dict[str, Any]:
    return ok(http.get(f"{VS}/{name}"))["spec"]


def app_labels(app: str, version: str | None = None) -> dict[str, str]:
    labels = {"app": app, "app.kubernetes.io/name": "lab", "app.kubernetes.io/version": "v1"}
    if version is not None:
        labels["version"] = version
    return labels


def make_service(http: httpx.Client, app: str, ports: list[tuple[str, int]], mesh: bool = True):
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": app,
            "labels": app_labels(app),
            "annotations": ENABLED if mesh else {},
        },
        "spec": {
            "selector": app_labels(app),
            "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports],
        },
    }
    ok(http.post(SERVICES, json=body))


def make_version(http: httpx.Client, app: str, version: str, mesh: bool = True) -> None:
    labels = app_labels(app, version)
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": f"{app}-{version.replace('.', '-')}",
            "labels": labels,
            "annotations": ENABLED if mesh else {},
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": app, "image": f"lab/{app}:{version}", **SMALL}]},
            },
        },
    }
    ok(http.post(DEPLOYMENTS, json=body))


def subsets(http: httpx.Client, name: str) -> list[str]:
    return [s["name"] for s in ok(http.get(f"{DR}/{name}"))["spec"].get("subsets") or ()]


def wait_subsets(http: httpx.Client, name: str, wanted: list[str]) -> None:
    def check() -> None:
        response = http.get(f"{DR}/{name}")
        assert response.status_code == 200
        assert subsets(http, name) == wanted

    eventually(check)


def strategy(
    app: str, kind: str, template: dict[str, Any], governor: str = "", policy: str = ""
) -> dict[str, Any]:
    return {
        "apiVersion": "servicemesh.kubesphere.io/v1alpha2",
        "kind": "Strategy",
        "metadata": {"name": f"{app}-release", "labels": app_labels(app)},
        "spec": {
            "type": kind,
            "principal": "v1",
            "governor": governor,
            "strategyPolicy": policy or "WaitForWorkloadReady",
            "selector": {"matchLabels": app_labels(app)},
            "template": {"spec": {"hosts": [app], **template}},
        },
    }


def check(condition: bool) -> None:
    assert condition
