"""What a sandbox cluster holds when it starts: bootstrap objects, nodes, the KubeSphere CRDs and
sample objects, and generated workloads, all made as a real cluster would have made them."""

from __future__ import annotations

import copy
import random
import re
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import orjson
import yaml

from kstui.sandbox.auth import default_rbac_objects
from kstui.sandbox.clock import parse_time, rfc3339
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers import owner_ref
from kstui.sandbox.controllers.pods import (
    CRASH_ANNOTATION,
    UNSCHEDULABLE_ANNOTATION,
    container_status,
)
from kstui.sandbox.controllers.tenancy import Flavor
from kstui.sandbox.controllers.workloads import pod_template_hash
from kstui.sandbox.loggen import stable_hash
from kstui.sandbox.seed_helm import moved_release_secret
from kstui.sandbox.status import ApiError

STORY_NOW = datetime.fromisoformat("2025-05-12T09:10:00+00:00")
"""The moment seed-objects.yaml describes; its timestamps are moved to end at the clock's now."""
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TENANT_USER = "alice"
KUBESPHERE_4 = Flavor("4")


def _data(name: str) -> Any:
    return resources.files("kstui.sandbox").joinpath("data", name)


def crd_documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(_data("crds").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".yaml"):
            docs += [d for d in yaml.load_all(path.read_text(), Loader=_LOADER) if d]
    return docs


def seed_documents() -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(_data("seed-objects.yaml").read_text(), Loader=_LOADER) if d]


def _shift_times(value: Any, delta: timedelta) -> Any:
    if isinstance(value, dict):
        return {k: _shift_times(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_times(v, delta) for v in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return rfc3339(parse_time(value) + delta)
    return value


def put(cluster: SandboxCluster, obj: dict[str, Any]) -> dict[str, Any]:
    """Admit and store an object with its status, as a seeder writing /status too would."""
    kind = cluster.kind_of(obj)
    status = copy.deepcopy(obj.get("status"))
    cluster.admit(kind, obj, creating=True)
    if status is not None and kind.storage_key != (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
    ):
        obj["status"] = status
    cluster.store.seed(kind, obj)
    return obj


# ------------------------------------------------------------------ bootstrap


def _namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(labels or {})},
    }


def _node(cluster: str, name: str, role: str, index: int, created: str) -> dict[str, Any]:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
    }
    if role == "control-plane":
        labels["node-role.kubernetes.io/control-plane"] = ""
    else:
        labels["node-role.kubernetes.io/worker"] = ""
    capacity = {
        "cpu": "8",
        "memory": "32863824Ki",
        "pods": str(MAX_PODS_PER_NODE),
        "ephemeral-storage": "203056560Ki",
        "hugepages-2Mi": "0",
    }
    allocatable = {**capacity, "cpu": "7800m", "memory": "31814224Ki"}
    conditions = [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    spec: dict[str, Any] = {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]}
    if role == "control-plane":
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "creationTimestamp": created,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": [
                {
                    "type": t,
                    "status": s,
                    "reason": r,
                    "message": m,
                    "lastHeartbeatTime": created,
                    "lastTransitionTime": created,
                }
                for t, s, r, m in conditions
            ],
            "addresses": [
                {"type": "InternalIP", "address": f"172.18.{index}.10"},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": f"{cluster}{index:030d}",
                "systemUUID": f"{cluster}-{index}",
                "bootID": f"boot-{cluster}-{index}",
                "kernelVersion": "6.1.0-28-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": "v1.35.2",
                "kubeProxyVersion": "v1.35.2",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


MAX_PODS_PER_NODE = 110
"""The kubelet's default maxPods, and what every sandbox node says in status.capacity.pods."""


def workers_for(pods: int) -> int:
    """Worker nodes for this many generated pods: two, or as many as the pods need at the
    kubelet's default 110 a node (a node holding 5,000 pods exists nowhere, and a node's level
    in Observe would be the whole cluster)."""
    return max(2, -(-pods // MAX_PODS_PER_NODE))


class Placement:
    """Where generated pods go: a random worker, or the next one with room when it is full,
    as a scheduler would never put more than a node's capacity on it."""

    def __init__(self, nodes: list[str]) -> None:
        self.nodes = nodes
        self.held = dict.fromkeys(nodes, 0)

    def pick(self, rng: random.Random) -> str:
        first = rng.randrange(len(self.nodes))
        node = self.nodes[first]
        for step in range(len(self.nodes)):
            node = self.nodes[(first + step) % len(self.nodes)]
            if self.held[node] < MAX_PODS_PER_NODE:
                break
        self.held[node] += 1
        return node


def seed_bootstrap(cluster: SandboxCluster, nodes: int = 3) -> None:
    long_ago = rfc3339(cluster.clock.now() - timedelta(days=90))
    for obj in default_rbac_objects():
        obj["metadata"]["creationTimestamp"] = long_ago
        put(cluster, obj)
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        ns = _namespace(name)
        ns["metadata"]["creationTimestamp"] = long_ago
        put(cluster, ns)
    for index in range(nodes):
        role = "control-plane" if index == 0 else "worker"
        name = f"{cluster.name}-{'control-plane' if index == 0 else f'worker-{index}'}"
        put(cluster, _node(cluster.name, name, role, index, long_ago))
    put(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
                "creationTimestamp": long_ago,
            },
            "spec": {
                "clusterIP": "10.96.0.1",
                "ports": [{"name": "https", "port": 443, "targetPort": 6443}],
            },
        },
    )


VANILLA_ONLY_GROUPS = ("gateway.networking.k8s.io",)
"""CRDs the sample KubeSphere clusters leave out: a vanilla cluster's traffic API (§7.4)."""


def seed_crds(cluster: SandboxCluster, flavor: Flavor = KUBESPHERE_4) -> None:
    for crd in crd_documents():
        if crd["spec"]["group"] in VANILLA_ONLY_GROUPS:
            continue
        installed = flavor.crd(crd)
        if installed is not None:
            put(cluster, installed)


# ------------------------------------------------------------------ KubeSphere sample objects


def _owner_for_pod(pod_name: str, deployments: set[str]) -> str | None:
    """`reviews-v1-5d8c9f7b6c-2xk7p` belongs to Deployment `reviews-v1`."""
    parts = pod_name.split("-")
    for cut in range(len(parts) - 2, 0, -1):
        if "-".join(parts[:cut]) in deployments:
            return "-".join(parts[:cut])
    return None


def _complete_pod_status(pod: dict[str, Any]) -> None:
    """Fill what controllers would have written, so strict clients accept seeded pods."""
    status = pod.setdefault("status", {})
    by_name = {s.get("name"): s for s in status.get("containerStatuses") or ()}
    completed = []
    for container in pod["spec"].get("containers") or ():
        given = by_name.get(container["name"], {})
        state = given.get("state") or {"running": {"startedAt": status.get("startTime")}}
        full = container_status(
            container,
            state,
            bool(given.get("ready", "running" in state)),
            int(given.get("restartCount") or 0),
            (given.get("lastState") or {}).get("terminated"),
        )
        completed.append(full)
    status["containerStatuses"] = completed


PLACEMENT = {"acme-retail": ("host", "member")}
"""Where the sample workspaces live when those clusters exist (the file places all on host)."""


def _template_resources(pod: dict[str, Any], deployment: dict[str, Any]) -> None:
    """The sample pods omit resources; a ReplicaSet would have given them the template's
    (and quotas count them)."""
    template = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    for container in pod["spec"].get("containers") or ():
        resources = (template.get(container["name"]) or {}).get("resources")
        if resources and not container.get("resources"):
            container["resources"] = copy.deepcopy(resources)


_ADMIN: dict[str, Any] = {
    "apiVersion": "iam.kubesphere.io/v1beta1",
    "kind": "User",
    "metadata": {
        "name": "admin",
        "annotations": {"iam.kubesphere.io/globalrole": "platform-admin"},
    },
    "spec": {"email": "admin@kubesphere.io", "lang": "en"},
    "status": {"state": "Active"},
}
"""The platform administrator every KubeSphere installs (the sample file leaves it out): the
sandbox's admin contexts are this user."""


def seed_kubesphere(
    cluster: SandboxCluster, member_uids: dict[str, str], flavor: Flavor = KUBESPHERE_4
) -> None:
    """seed-objects.yaml, made consistent: pods owned through ReplicaSets, times moved to now,
    objects in the shape the KubeSphere version holds them."""
    delta = cluster.clock.now() - STORY_NOW
    docs = [flavor.seed_object(_shift_times(d, delta)) for d in [*seed_documents(), _ADMIN]]
    if flavor.v3:  # its store is v1alpha1 (seed_appstore_v3.py), the file's is 4.x's
        docs = [d for d in docs if not d["apiVersion"].startswith("application.kubesphere.io/")]
    docs = [moved_release_secret(doc, delta) for doc in docs]
    for doc in docs:
        if doc["kind"] == "WorkspaceTemplate" and doc["metadata"]["name"] in PLACEMENT:
            doc["spec"]["placement"] = {
                "clusters": [
                    {"name": name}
                    for name in PLACEMENT[doc["metadata"]["name"]]
                    if name in member_uids
                ]
            }
    deployments = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d
        for d in docs
        if d["kind"] == "Deployment"
    }
    stored: dict[tuple[str, str], dict[str, Any]] = {}
    replicasets: dict[tuple[str, str], dict[str, Any]] = {}
    workers = [n["metadata"]["name"] for n in cluster.store.objects(("", "nodes"))][1:]
    for doc in docs:
        meta = doc["metadata"]
        if doc["kind"] == "Pod":
            _on_a_node_of(doc, workers)
        meta.setdefault("creationTimestamp", _plausible_creation(doc, cluster.clock.now()))
        if doc["kind"] == "Cluster" and meta["name"] == "host":
            doc["status"]["uid"] = member_uids.get("host", doc["status"].get("uid"))
        if doc["kind"] == "Pod":
            namespace = meta["namespace"]
            names = {n for ns, n in deployments if ns == namespace}
            owner = _owner_for_pod(meta["name"], names)
            if owner is not None:
                rs_name = meta["name"].rsplit("-", 1)[0]
                key = (namespace, rs_name)
                if key not in replicasets:
                    replicasets[key] = _seed_replicaset(
                        cluster, stored[(namespace, owner)], rs_name
                    )
                meta["ownerReferences"] = [owner_ref(replicasets[key])]
                meta.setdefault("labels", {})["pod-template-hash"] = rs_name.rsplit("-", 1)[1]
                _template_resources(doc, stored[(namespace, owner)])
            _complete_pod_status(doc)
        try:
            put(cluster, doc)
        except ApiError as error:
            raise RuntimeError(
                f"seed object {doc['kind']} {meta.get('name')}: {error.message}"
            ) from error
        if doc["kind"] == "Deployment":
            stored[(meta["namespace"], meta["name"])] = doc
    for name, uid in member_uids.items():
        if name != "host":
            put(cluster, _member_cluster(name, uid, cluster.clock.now(), flavor))


def _on_a_node_of(pod: dict[str, Any], workers: list[str]) -> None:
    """The file's pods name nodes (node-1..3) this cluster may not have: a pod on a node the
    cluster lacks would be counted in no node's usage, so it moves to one of the workers (by
    its name, so every start places it alike)."""
    spec = pod.get("spec") or {}
    node = spec.get("nodeName")
    if node and workers and node not in workers:
        spec["nodeName"] = workers[stable_hash(pod["metadata"]["name"]) % len(workers)]


def _timestamps(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in _timestamps(v)]
    return [value] if isinstance(value, str) and _TIMESTAMP.match(value) else []


def _plausible_creation(doc: dict[str, Any], now: datetime) -> str:
    """The sample objects carry no creationTimestamp: take the earliest time they mention, or
    a stable age of 1–30 days, so ages look lived-in rather than all "5s"."""
    mentioned = _timestamps(doc)
    if mentioned:
        return min(mentioned)
    digest = sum(map(ord, f"{doc['kind']}/{doc['metadata'].get('name')}"))
    return rfc3339(now - timedelta(days=1 + digest % 30, minutes=digest % 1440))


def _seed_replicaset(cluster: SandboxCluster, deployment: dict[str, Any], name: str) -> dict:
    template = copy.deepcopy(deployment["spec"]["template"])
    template_hash = name.rsplit("-", 1)[1]
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = (
        template_hash
    )
    selector = copy.deepcopy(deployment["spec"]["selector"])
    selector.setdefault("matchLabels", {})["pod-template-hash"] = template_hash
    replicas = deployment["spec"].get("replicas", 1)
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": deployment["metadata"]["namespace"],
            "labels": template["metadata"]["labels"],
            "creationTimestamp": deployment["metadata"].get("creationTimestamp"),
            "annotations": {
                "deployment.kubernetes.io/revision": "1",
                "deployment.kubernetes.io/desired-replicas": str(replicas),
            },
            "ownerReferences": [owner_ref(deployment)],
        },
        "spec": {"replicas": replicas, "selector": selector, "template": template},
        "status": {
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "fullyLabeledReplicas": replicas,
            "observedGeneration": 1,
        },
    }
    return put(cluster, rs)


def _member_cluster(name: str, uid: str, now: datetime, flavor: Flavor) -> dict[str, Any]:
    return {
        "apiVersion": "cluster.kubesphere.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {
            "name": name,
            "labels": {"cluster.kubesphere.io/visibility": "public"},
            "annotations": {
                "kubesphere.io/alias-name": f"{name.title()} cluster",
                "kubesphere.io/creator": "admin",
            },
            "finalizers": ["finalizer.cluster.kubesphere.io"],
        },
        "spec": {"provider": "kubeadm", "connection": {"type": "direct"}},
        "status": {
            "kubernetesVersion": "v1.35.2",
            "kubeSphereVersion": "v3.4.1" if flavor.v3 else "v4.1.3",
            "nodeCount": 3,
            "uid": uid,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Ready",
                    "message": "Cluster is available now",
                    "lastUpdateTime": rfc3339(now),
                    "lastTransitionTime": rfc3339(now - timedelta(days=30)),
                }
            ],
        },
    }


# ------------------------------------------------------------------ projects and workspaces


def _project(
    name: str, workspace: str, creator: str, alias: str, flavor: Flavor, created: datetime
) -> dict[str, Any]:
    labels = {"kubesphere.io/workspace": workspace}
    if not flavor.v3:
        labels["kubesphere.io/managed"] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": labels,
            "creationTimestamp": rfc3339(created),
            "annotations": {"kubesphere.io/alias-name": alias, "kubesphere.io/creator": creator},
        },
    }


def _workspace_quota(cluster: SandboxCluster, workspace: str, cpu: int) -> dict[str, Any]:
    kind = cluster.registry.storage_kind(("quota.kubesphere.io", "resourcequotas"))
    assert kind is not None
    return {
        "apiVersion": kind.api_version,
        "kind": "ResourceQuota",
        "metadata": {
            "name": workspace,
            "labels": {"kubesphere.io/workspace": workspace},
            "annotations": {"kubesphere.io/creator": "admin"},
        },
        "spec": {
            "selector": {"kubesphere.io/workspace": workspace},
            "quota": {
                "hard": {
                    "limits.cpu": str(2 * cpu),
                    "limits.memory": f"{4 * cpu}Gi",
                    "requests.cpu": str(cpu),
                    "requests.memory": f"{2 * cpu}Gi",
                }
            },
        },
    }


def _project_quota(namespace: str, cpu: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": namespace,
            "namespace": namespace,
            "annotations": {"kubesphere.io/creator": "admin"},
        },
        "spec": {
            "hard": {
                "limits.cpu": str(2 * cpu),
                "limits.memory": f"{4 * cpu}Gi",
                "requests.cpu": str(cpu),
                "requests.memory": f"{2 * cpu}Gi",
                "pods": str(10 * cpu),
            }
        },
    }


def seed_member_projects(cluster: SandboxCluster, flavor: Flavor = KUBESPHERE_4) -> None:
    """acme-retail reaches the member cluster: one project there, with a quota and a workload."""
    created = cluster.clock.now() - timedelta(days=9, hours=3)
    put(cluster, _project("shop-eu", "acme-retail", "alice", "Shop (EU)", flavor, created))
    put(cluster, _project_quota("shop-eu", 2))
    put(cluster, _workspace_quota(cluster, "acme-retail", 8))
    nodes = [n["metadata"]["name"] for n in cluster.store.objects(("", "nodes"))][1:]
    _generated_deployment(
        cluster,
        "shop-eu",
        "storefront",
        "ghcr.io/acme/storefront:5.1.0",
        "250m",
        "256Mi",
        2,
        created,
        Placement(nodes or ["node"]),
        False,
        False,
    )


def seed_tenancy_bench(
    clusters: dict[str, SandboxCluster],
    workspaces: int,
    projects: int,
    flavor: Flavor = KUBESPHERE_4,
) -> None:
    """N more workspaces on every cluster and M empty projects spread over them (and over the
    clusters), for benchmarks: every tenth project has a quota, every workspace one per
    cluster. Managers and creators take turns among the sample users."""
    host = clusters["host"]
    now = host.clock.now()
    names = [f"ws-{i:03d}" for i in range(workspaces)] or ["acme-retail", "beta-labs"]
    managers = ("alice", "bob", "carol")
    template_api = host.registry.storage_kind(("tenant.kubesphere.io", "workspacetemplates"))
    assert template_api is not None
    for index, name in enumerate(names[:workspaces]):
        meta = {
            "annotations": {
                "kubesphere.io/alias-name": f"Workspace {index}",
                "kubesphere.io/creator": "admin",
            }
        }
        put(
            host,
            {
                "apiVersion": template_api.api_version,
                "kind": "WorkspaceTemplate",
                "metadata": {
                    "name": name,
                    **copy.deepcopy(meta),
                    "creationTimestamp": rfc3339(now - timedelta(days=20)),
                },
                "spec": {
                    "template": {"metadata": meta, "spec": {"manager": managers[index % 3]}},
                    "placement": {"clusters": [{"name": c} for c in clusters]},
                },
            },
        )
        for cluster in clusters.values():
            put(cluster, _workspace_quota(cluster, name, 10))
    targets = list(clusters.values())
    for index in range(projects):
        workspace = names[index % len(names)]
        round_ = index // len(names)
        cluster = targets[round_ % len(targets)]
        name = f"{workspace}-p{round_:03d}"
        creator = managers[index % len(names) % 3]
        put(
            cluster,
            _project(
                name,
                workspace,
                creator,
                f"Project {index}",
                flavor,
                now - timedelta(days=10, minutes=index),
            ),
        )
        if index % 10 == 0:
            put(cluster, _project_quota(name, 2))


# ------------------------------------------------------------------ generated workloads

APPS = (
    ("web", "nginx:1.27.3", "100m", "128Mi"),
    ("api", "ghcr.io/acme/orders-api:2.14.1", "250m", "256Mi"),
    ("worker", "ghcr.io/acme/queue-worker:1.9.0", "200m", "512Mi"),
    ("cache", "redis:7.2.5", "100m", "256Mi"),
    ("checkout", "ghcr.io/acme/checkout:3.2.0", "250m", "256Mi"),
    ("search", "elasticsearch:8.13.4", "500m", "1Gi"),
    ("gateway", "envoyproxy/envoy:v1.30.2", "100m", "128Mi"),
    ("payments-svc", "ghcr.io/acme/payments:4.0.3", "200m", "256Mi"),
    ("reporting-job", "ghcr.io/acme/reporting:0.8.1", "100m", "256Mi"),
    ("db", "postgres:16.3", "500m", "1Gi"),
)
NAMESPACE_NAMES = (
    "payments",
    "storefront",
    "search",
    "identity",
    "analytics",
    "notifications",
    "inventory",
    "shipping",
    "catalog",
    "recommendations",
)


def generated_namespaces(pods: int) -> list[str]:
    count = min(100, max(1, -(-pods // 100))) if pods > 0 else 0
    return [
        NAMESPACE_NAMES[i] if i < len(NAMESPACE_NAMES) else f"apps-{i:03d}" for i in range(count)
    ]


def seed_workloads(cluster: SandboxCluster, pods: int) -> None:
    """Deployments, their ReplicaSets and pods, settled as controllers would leave them."""
    namespaces = generated_namespaces(pods)
    if not namespaces:
        return
    now = cluster.clock.now()
    rng = cluster.rng
    nodes = Placement(
        [n["metadata"]["name"] for n in cluster.store.objects(("", "nodes"))][1:] or ["node"]
    )
    per_namespace = [
        pods // len(namespaces) + (1 if i < pods % len(namespaces) else 0)
        for i in range(len(namespaces))
    ]
    for index, (namespace, count) in enumerate(zip(namespaces, per_namespace, strict=True)):
        created = now - timedelta(days=rng.randint(2, 60), minutes=rng.randint(0, 1440))
        ns = _namespace(namespace, {"app.kubernetes.io/part-of": "kstui-demo"})
        ns["metadata"]["creationTimestamp"] = rfc3339(created)
        put(cluster, ns)
        apps = APPS[: max(1, min(len(APPS), count // 4 or 1))]
        sizes = [count // len(apps) + (1 if i < count % len(apps) else 0) for i in range(len(apps))]
        for app_index, ((app, image, cpu, memory), replicas) in enumerate(
            zip(apps, sizes, strict=True)
        ):
            if replicas == 0:
                continue
            crash = (index + app_index) % 17 == 3
            pending = (index + app_index) % 23 == 5
            _generated_deployment(
                cluster,
                namespace,
                app,
                image,
                cpu,
                memory,
                replicas,
                created,
                nodes,
                crash,
                pending,
            )


def _generated_deployment(
    cluster: SandboxCluster,
    namespace: str,
    app: str,
    image: str,
    cpu: str,
    memory: str,
    replicas: int,
    created: datetime,
    nodes: Placement,
    crash: bool,
    pending: bool,
) -> None:
    rng = cluster.rng
    store = cluster.store
    labels = {"app": app, "app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}
    annotations = {CRASH_ANNOTATION: "true"} if crash else {}
    if pending:
        annotations[UNSCHEDULABLE_ANNOTATION] = "true"
    container: dict[str, Any] = {
        "name": app.split("-")[0],
        "image": image,
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": cpu, "memory": memory},
            "limits": {
                "cpu": str(int(cpu.rstrip("m")) * 2) + "m" if cpu.endswith("m") else cpu,
                "memory": memory,
            },
        },
    }
    template = {
        "metadata": {"labels": dict(labels), "annotations": annotations},
        "spec": {"containers": [container]},
    }
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": app,
            "namespace": namespace,
            "labels": dict(labels),
            "creationTimestamp": rfc3339(created),
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": template,
        },
    }
    put(cluster, deployment)
    template_hash = pod_template_hash(deployment["spec"]["template"])
    rs = _seed_replicaset(cluster, deployment, f"{app}-{template_hash}")
    ready = 0 if crash or pending else replicas
    started = created + timedelta(seconds=40)
    pod_kind = cluster.registry.storage_kind(("", "pods"))
    assert pod_kind is not None
    for _ in range(replicas):
        name = store.generate_name(f"{rs['metadata']['name']}-")
        pod_template = orjson.loads(orjson.dumps(rs["spec"]["template"]))  # deepcopy, 8x faster
        node = nodes.pick(rng)
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **pod_template["metadata"],
                "name": name,
                "namespace": namespace,
                "creationTimestamp": rfc3339(created + timedelta(seconds=5)),
                "ownerReferences": [owner_ref(rs)],
            },
            "spec": pod_template["spec"],
        }
        cluster.admit(pod_kind, pod, creating=True)
        if not pending:
            pod["spec"]["nodeName"] = node
        now = cluster.clock.now()
        pod["status"] = _settled_status(pod, started, crash, pending, rng.random(), now)
        store.seed(pod_kind, pod)
    deployment["status"] = {
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
    }
    if not ready:
        del deployment["status"]["readyReplicas"], deployment["status"]["availableReplicas"]
    kind = cluster.kind_of(deployment)
    store.update(kind, deployment, subresource="status", check_rv=False)


def _settled_status(
    pod: dict[str, Any],
    started: datetime,
    crash: bool,
    pending: bool,
    luck: float,
    now: datetime,
) -> dict[str, Any]:
    from kstui.sandbox.controllers.pods import _conditions, _node_ip, _pod_ip

    container = pod["spec"]["containers"][0]
    start = rfc3339(started)
    if pending:
        return {
            "phase": "Pending",
            "qosClass": "Burstable",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "lastProbeTime": None,
                    "lastTransitionTime": start,
                    "message": "0/3 nodes are available: 3 Insufficient cpu.",
                }
            ],
        }
    restarts = 0 if luck < 0.85 else int(luck * 10) - 7
    last = None
    if restarts:
        last = {"exitCode": 137, "reason": "OOMKilled", "startedAt": start, "finishedAt": start}
    if crash:
        restarts = 40 + int(luck * 30)
        # crash-looping: the last run ended minutes ago (the back-off caps at 5m), not at start
        ended = now - timedelta(seconds=30 + int(luck * 240))
        last = {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": rfc3339(ended - timedelta(seconds=8)),
            "finishedAt": rfc3339(ended),
        }
        state: dict[str, Any] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 5m0s restarting failed container={container['name']}",
            }
        }
    else:
        state = {"running": {"startedAt": start}}
    node = pod["spec"]["nodeName"]
    ip = _pod_ip(pod["metadata"]["name"])
    return {
        "phase": "Running",
        "qosClass": "Burstable",
        "startTime": start,
        "conditions": _conditions(start, not crash),
        "hostIP": _node_ip(node),
        "hostIPs": [{"ip": _node_ip(node)}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "containerStatuses": [container_status(container, state, not crash, restarts, last)],
    }
