"""Traffic control sample data (API.md §5, §7.4), beside the 80/20 `reviews` canary of
seed-objects.yaml:

* KubeSphere 3.x host (`shop-prod`): mesh Services with two versions each (Deployments with the
  §5.1 labels and annotation, ready replicas and pods) under a Strategy of every kind — canary
  by weight at a partial weight (`ratings`, whose v2 fails), blue-green (`details`), canary by
  header and cookie (`productpage`), mirroring (`payments`), a TCP canary (`inventory`) — plus
  `cart` (two versions, no Strategy yet) and `search` (its v2 lacks the mesh annotation, a
  failed prerequisite). The Strategy controller derives their DestinationRules and
  VirtualServices when the seed settles.
* A vanilla cluster (namespace `bookstore`): the Istio and Gateway API CRDs, an Istio
  VirtualService and DestinationRule splitting `reviews` 90/10, and an HTTPRoute splitting
  `checkout` 75/25 between one Service per version.

Deployments may carry the exporter's failure profile (exporter_istio.py): `ratings-v2` fails
one request in five and answers slowly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers.workloads import pod_template_hash
from kstui.sandbox.exporter_istio import ERROR_RATIO, P95_MS
from kstui.sandbox.seed import (
    _namespace,
    _seed_replicaset,
    _settled_status,
    crd_documents,
    put,
)

MESH_NAMESPACE = "shop-prod"
APPLICATION = "storefront"
ENABLED = "servicemesh.kubesphere.io/enabled"
SMALL = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}


def _labels(app: str, application: str | None = APPLICATION) -> dict[str, str]:
    if application is None:
        return {"app": app}
    return {"app": app, "app.kubernetes.io/name": application, "app.kubernetes.io/version": "v1"}


def _service(
    namespace: str, name: str, labels: dict[str, str], port: tuple[str, int], mesh: bool
) -> dict[str, Any]:
    annotations = {"kubesphere.io/creator": "alice"}
    if mesh:
        annotations[ENABLED] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": annotations,
        },
        "spec": {
            "type": "ClusterIP",
            "selector": dict(labels),
            "ports": [{"name": port[0], "protocol": "TCP", "port": port[1], "targetPort": port[1]}],
        },
    }


def seed_version(
    cluster: SandboxCluster,
    namespace: str,
    name: str,
    labels: dict[str, str],
    image: str,
    port: int,
    replicas: int = 1,
    mesh: bool = True,
    extra: dict[str, str] | None = None,
    age: timedelta = timedelta(days=6),
) -> None:
    """A Deployment with its ReplicaSet and running, ready pods, as controllers leave them."""
    created = cluster.clock.now() - age
    annotations = {"deployment.kubernetes.io/revision": "1", "kubesphere.io/creator": "alice"}
    if mesh:
        annotations[ENABLED] = "true"
    annotations.update(extra or {})
    container = {
        "name": name.rsplit("-", 1)[0],
        "image": image,
        "ports": [{"containerPort": port, "protocol": "TCP"}],
        "resources": SMALL,
    }
    template_annotations = {"sidecar.istio.io/inject": "true"} if mesh else {}
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": annotations,
            "creationTimestamp": rfc3339(created),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels), "annotations": template_annotations},
                "spec": {"containers": [container]},
            },
        },
    }
    put(cluster, deployment)
    rs = _seed_replicaset(
        cluster, deployment, f"{name}-{pod_template_hash(deployment['spec']['template'])}"
    )
    nodes = [n["metadata"]["name"] for n in cluster.store.objects(("", "nodes"))][1:] or ["node"]
    pod_kind = cluster.registry.storage_kind(("", "pods"))
    assert pod_kind is not None
    for index in range(replicas):
        template = rs["spec"]["template"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "labels": dict(template["metadata"]["labels"]),
                "annotations": dict(template["metadata"].get("annotations") or {}),
                "name": cluster.store.generate_name(f"{rs['metadata']['name']}-"),
                "namespace": namespace,
                "creationTimestamp": rfc3339(created + timedelta(seconds=5)),
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": rs["metadata"]["name"],
                        "uid": rs["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": {
                "containers": [dict(c) for c in template["spec"]["containers"]],
                "nodeName": nodes[index % len(nodes)],
            },
        }
        cluster.admit(pod_kind, pod, creating=True)
        pod["status"] = _settled_status(
            pod, created + timedelta(seconds=40), False, False, 0.1, cluster.clock.now()
        )
        cluster.store.seed(pod_kind, pod)
    deployment["status"] = {
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
    }
    kind = cluster.kind_of(deployment)
    cluster.store.update(kind, deployment, subresource="status", check_rv=False)


def _route(host: str, subset: str, weight: int) -> dict[str, Any]:
    return {"destination": {"host": host, "subset": subset}, "weight": weight}


def _strategy(
    app: str, kind: str, template: dict[str, Any], governor: str = "", age: timedelta | None = None
) -> dict[str, Any]:
    labels = _labels(app)
    meta: dict[str, Any] = {
        "name": f"{app}-{kind.lower()}",
        "namespace": MESH_NAMESPACE,
        "labels": labels,
        "annotations": {
            "kubesphere.io/creator": "alice",
            "app.kubernetes.io/icon": "",
            "servicemesh.kubesphere.io/oldWorkloadName": f"{app}-v1",
            "servicemesh.kubesphere.io/newWorkloadName": f"{app}-v2",
            "servicemesh.kubesphere.io/workloadType": "deployments",
            "servicemesh.kubesphere.io/workloadReplicas": "1",
        },
    }
    return {
        "apiVersion": "servicemesh.kubesphere.io/v1alpha2",
        "kind": "Strategy",
        "metadata": meta,
        "spec": {
            "type": kind,
            "principal": "v1",
            "governor": governor,
            "strategyPolicy": "WaitForWorkloadReady",
            "selector": {"matchLabels": labels},
            "template": {"spec": {"hosts": [app], **template}},
        },
        "_age": age or timedelta(hours=3),
    }


MESH_SERVICES: tuple[tuple[str, tuple[str, int], dict[str, str]], ...] = (
    ("ratings", ("http", 9080), {ERROR_RATIO: "0.2", P95_MS: "900"}),
    ("details", ("http", 9080), {}),
    ("productpage", ("http-web", 9080), {}),
    ("payments", ("http-api", 8080), {}),
    ("inventory", ("mongo", 27017), {}),
    ("cart", ("http", 8080), {}),
    ("search", ("http", 8080), {}),
)
"""Component, its one port, and the failure profile of its v2."""


def mesh_strategies() -> list[dict[str, Any]]:
    beta = {
        "headers": {"cookie": {"regex": "^(.*?;)?(user=beta)(;.*)?$"}},
        "uri": {"prefix": "/"},
    }
    mobile = {"headers": {"User-Agent": {"regex": ".*(Android|iPhone).*"}}}
    return [
        _strategy(
            "ratings",
            "Canary",
            {"http": [{"route": [_route("ratings", "v1", 90), _route("ratings", "v2", 10)]}]},
            age=timedelta(hours=5, minutes=20),
        ),
        _strategy(
            "details",
            "Bluegreen",
            {"http": [{"route": [_route("details", "v1", 100), _route("details", "v2", 0)]}]},
            governor="v1",
            age=timedelta(days=1, hours=2),
        ),
        _strategy(
            "productpage",
            "Canary",
            {
                "http": [
                    {"match": [beta, mobile], "route": [_route("productpage", "v2", 100)]},
                    {"route": [_route("productpage", "v1", 100)]},
                ]
            },
            age=timedelta(hours=26),
        ),
        _strategy(
            "payments",
            "Mirror",
            {
                "http": [
                    {
                        "route": [_route("payments", "v1", 100)],
                        "mirror": {"host": "payments", "subset": "v2"},
                    }
                ]
            },
            age=timedelta(minutes=50),
        ),
        _strategy(
            "inventory",
            "Canary",
            {
                "tcp": [
                    {
                        "match": [],
                        "route": [_route("inventory", "v1", 70), _route("inventory", "v2", 30)],
                    }
                ]
            },
            age=timedelta(hours=9),
        ),
    ]


def seed_mesh(cluster: SandboxCluster) -> None:
    """The 3.x host's grayscale release sample (see the module docstring)."""
    now = cluster.clock.now()
    for app, port, profile in MESH_SERVICES:
        put(cluster, _service(MESH_NAMESPACE, app, _labels(app), port, mesh=True))
        for version in ("v1", "v2"):
            labels = {**_labels(app), "version": version}
            mesh = not (app == "search" and version == "v2")  # §5.1 fails: no annotation
            seed_version(
                cluster,
                MESH_NAMESPACE,
                f"{app}-{version}",
                labels,
                f"registry.acme.example/shop/{app}:{'1.4.0' if version == 'v1' else '1.5.0-rc.1'}",
                port[1],
                replicas=2 if version == "v1" else 1,
                mesh=mesh,
                extra=profile if version == "v2" else None,
                age=timedelta(days=12) if version == "v1" else timedelta(hours=6),
            )
    for strategy in mesh_strategies():
        age = strategy.pop("_age")
        strategy["metadata"]["creationTimestamp"] = rfc3339(now - age)
        put(cluster, strategy)


# ------------------------------------------------------------------ vanilla (§7.4)

VANILLA_NAMESPACE = "bookstore"
MESH_GROUPS = ("networking.istio.io", "gateway.networking.k8s.io")


def seed_vanilla_traffic(cluster: SandboxCluster) -> None:
    """Istio and Gateway API on a cluster without KubeSphere: weights set by hand."""
    for crd in crd_documents():
        if crd["spec"]["group"] in MESH_GROUPS:
            put(cluster, crd)
    namespace = _namespace(VANILLA_NAMESPACE, {"istio-injection": "enabled"})
    namespace["metadata"]["creationTimestamp"] = rfc3339(cluster.clock.now() - timedelta(days=20))
    put(cluster, namespace)
    labels = _labels("reviews", None)
    put(cluster, _service(VANILLA_NAMESPACE, "reviews", labels, ("http", 9080), mesh=False))
    for version, image in (("v1", "1.7.4"), ("v2", "1.8.0")):
        seed_version(
            cluster,
            VANILLA_NAMESPACE,
            f"reviews-{version}",
            {**labels, "version": version},
            f"docker.io/istio/examples-bookinfo-reviews-{version}:{image}",
            9080,
            replicas=2 if version == "v1" else 1,  # seed_groups gives reviews-v1 a PDB (min 1)
            mesh=False,
        )
    istio = "networking.istio.io/v1"
    put(
        cluster,
        {
            "apiVersion": istio,
            "kind": "DestinationRule",
            "metadata": {"name": "reviews", "namespace": VANILLA_NAMESPACE},
            "spec": {
                "host": "reviews",
                "subsets": [
                    {"name": "v1", "labels": {"version": "v1"}},
                    {"name": "v2", "labels": {"version": "v2"}},
                ],
            },
        },
    )
    put(
        cluster,
        {
            "apiVersion": istio,
            "kind": "VirtualService",
            "metadata": {"name": "reviews", "namespace": VANILLA_NAMESPACE},
            "spec": {
                "hosts": ["reviews"],
                "http": [
                    {
                        "name": "reviews-split",
                        "route": [_route("reviews", "v1", 90), _route("reviews", "v2", 10)],
                    }
                ],
            },
        },
    )
    for version in ("v1", "v2"):
        version_labels = {"app": "checkout", "version": version}
        put(
            cluster,
            _service(
                VANILLA_NAMESPACE,
                f"checkout-{version}",
                version_labels,
                ("http", 8080),
                mesh=False,
            ),
        )
        seed_version(
            cluster,
            VANILLA_NAMESPACE,
            f"checkout-{version}",
            version_labels,
            f"ghcr.io/acme/checkout:{'2.3.1' if version == 'v1' else '2.4.0'}",
            8080,
            mesh=False,
        )
    now = rfc3339(cluster.clock.now())
    put(
        cluster,
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "checkout", "namespace": VANILLA_NAMESPACE},
            "spec": {
                "parentRefs": [{"name": "shop-gateway"}],
                "hostnames": ["checkout.bookstore.example"],
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [
                            {"name": "checkout-v1", "port": 8080, "weight": 75},
                            {"name": "checkout-v2", "port": 8080, "weight": 25},
                        ],
                    }
                ],
            },
            "status": {
                "parents": [
                    {
                        "parentRef": {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "name": "shop-gateway",
                        },
                        "controllerName": "istio.io/gateway-controller",
                        "conditions": [
                            {
                                "type": "Accepted",
                                "status": "True",
                                "reason": "Accepted",
                                "message": "Route was valid",
                                "lastTransitionTime": now,
                                "observedGeneration": 1,
                            },
                            {
                                "type": "ResolvedRefs",
                                "status": "True",
                                "reason": "ResolvedRefs",
                                "message": "All references resolved",
                                "lastTransitionTime": now,
                                "observedGeneration": 1,
                            },
                        ],
                    }
                ]
            },
        },
    )
