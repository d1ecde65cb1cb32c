"""Seeded objects of the groups beyond workloads, as a kubeadm cluster with a local-path and a CSI
provisioner, metrics-server and KubeSphere would hold them: priority classes, storage classes and
volumes, autoscalers, disruption budgets, EndpointSlices, APIServices, webhooks, flow control.

Seeded last (after the controllers settled), so the objects before keep their names and uids.
Everything is a few objects per generated namespace: cheap at 10,000 pods.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers.disruption import budget_status, matching_pods
from kstui.sandbox.controllers.endpointslices import SERVICE_NAME, EndpointSliceController
from kstui.sandbox.printers_groups import DEFAULT_CLASS
from kstui.sandbox.store import Entry

DEPLOYMENTS = ("apps", "deployments")
_AVAILABLE = {"type": "Available", "status": "True"}


def _put(cluster: SandboxCluster, obj: dict[str, Any], created: str) -> dict[str, Any]:
    obj["metadata"].setdefault("creationTimestamp", created)
    kind = cluster.kind_of(obj)
    status = obj.get("status")
    cluster.admit(kind, obj, creating=True)
    if status is not None:
        obj["status"] = status
    cluster.store.seed(kind, obj)
    return obj


def _stable(text: str, modulo: int) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big") % modulo


def seed_groups(cluster: SandboxCluster) -> None:
    now = cluster.clock.now()
    long_ago = rfc3339(now - timedelta(days=90))
    nodes = [e.name for e in cluster.store.bucket(("", "nodes")).values()]
    for obj in _cluster_objects(cluster, nodes, long_ago):
        _put(cluster, obj, long_ago)
    # pods by (namespace, app label): each selector below looks at its own app's pods only
    by_app: dict[tuple[str, str], list[Entry]] = {}
    for entry in cluster.store.bucket(("", "pods")).values():
        by_app.setdefault((entry.namespace, entry.labels.get("app", "")), []).append(entry)
    # The numbered bulk namespaces of large seeds (apps-NNN) stay bare: seeding stays cheap.
    deployments = [
        e.decode()
        for e in cluster.store.bucket(DEPLOYMENTS).values()
        if not e.namespace.startswith("apps-")
    ]
    for deployment in deployments:
        _for_deployment(cluster, deployment, nodes, by_app)
    _kubernetes_slice(cluster, long_ago)
    slices = EndpointSliceController(cluster)
    for entry in list(cluster.store.bucket(("", "services")).values()):
        selector = (entry.decode().get("spec") or {}).get("selector") or {}
        candidates = (
            by_app.get((entry.namespace, selector["app"]), []) if "app" in selector else None
        )
        slices.reconcile((entry.namespace, entry.name), candidates)


# ------------------------------------------------------------------ per deployment


def _for_deployment(
    cluster: SandboxCluster,
    deployment: dict[str, Any],
    nodes: list[str],
    by_app: dict[tuple[str, str], list[Entry]],
) -> None:
    meta = deployment["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    created = meta.get("creationTimestamp") or rfc3339(cluster.clock.now())
    labels = (deployment["spec"].get("selector") or {}).get("matchLabels") or {}
    replicas = int(deployment["spec"].get("replicas", 1))
    if name in ("web", "api", "reviews-v1", "storefront"):
        _put(cluster, _hpa(deployment, replicas), created)
    if name in ("web", "api", "storefront") and labels:
        port = {"web": 80, "api": 8080}.get(name, 80)
        _put(
            cluster,
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": {"app": labels.get("app", name)},
                },
                "spec": {
                    "selector": dict(labels),
                    "ports": [{"name": "http", "port": port, "targetPort": "http"}],
                },
            },
            created,
        )
    if name in ("api", "db", "reviews-v1") and labels:
        spec: dict[str, Any] = {"selector": {"matchLabels": dict(labels)}}
        if name == "db":
            spec["maxUnavailable"] = 1
        else:
            spec["minAvailable"] = 1 if name == "reviews-v1" else "50%"
        pdb = {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
        candidates = by_app.get((namespace, labels["app"]), []) if "app" in labels else None
        pdb["status"] = budget_status(pdb, matching_pods(cluster.store, pdb, candidates), created)
        _put(cluster, pdb, created)
    if name in ("db", "reviews-v1"):
        _volume(
            cluster,
            namespace,
            f"{name}-data",
            "standard" if name == "db" else "fast-ssd",
            "10Gi" if name == "db" else "5Gi",
            created,
            nodes,
        )


def _hpa(deployment: dict[str, Any], replicas: int) -> dict[str, Any]:
    meta = deployment["metadata"]
    target = 70 if meta["name"] == "api" else 80
    current = 5 + _stable(f"{meta['namespace']}/{meta['name']}", 60)
    changed = meta.get("creationTimestamp")
    condition = [
        ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"),
        (
            "ScalingActive",
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from cpu resource "
            "utilization (percentage of request)",
        ),
        (
            "ScalingLimited",
            "False",
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        ),
    ]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"]},
            "minReplicas": max(1, min(replicas, 2)),
            "maxReplicas": max(10, replicas * 2),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": target},
                    },
                }
            ],
        },
        "status": {
            "currentReplicas": replicas,
            "desiredReplicas": replicas,
            "currentMetrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "current": {
                            "averageUtilization": current,
                            "averageValue": f"{current * 2}m",
                        },
                    },
                }
            ],
            "conditions": [
                {"type": t, "status": s, "reason": r, "message": m, "lastTransitionTime": changed}
                for t, s, r, m in condition
            ],
        },
    }


def _volume(
    cluster: SandboxCluster,
    namespace: str,
    name: str,
    storage_class: str,
    size: str,
    created: str,
    nodes: list[str],
) -> None:
    """A claim and the volume its provisioner made and bound to it (and, for CSI, attached)."""
    node = nodes[1 + _stable(name + namespace, len(nodes) - 1)] if len(nodes) > 1 else nodes[0]
    csi = storage_class == "fast-ssd"
    provisioner = "hostpath.csi.k8s.io" if csi else "rancher.io/local-path"
    claim = _put(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.beta.kubernetes.io/storage-provisioner": provisioner,
                    "volume.kubernetes.io/storage-provisioner": provisioner,
                    "volume.kubernetes.io/selected-node": node,
                },
                "finalizers": ["kubernetes.io/pvc-protection"],
            },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
                "storageClassName": storage_class,
                "volumeMode": "Filesystem",
            },
        },
        created,
    )
    pv_name = f"pvc-{claim['metadata']['uid']}"
    claim["spec"]["volumeName"] = pv_name
    pvc_kind = cluster.kind_of(claim)
    claim = cluster.store.update(pvc_kind, claim, check_rv=False)
    claim["status"] = {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": size},
    }
    claim = cluster.store.update(pvc_kind, claim, subresource="status", check_rv=False)
    source: dict[str, Any] = (
        {"csi": {"driver": provisioner, "volumeHandle": claim["metadata"]["uid"], "fsType": "ext4"}}
        if csi
        else {
            "hostPath": {
                "path": f"/opt/local-path-provisioner/{pv_name}_{namespace}_{name}",
                "type": "DirectoryOrCreate",
            }
        }
    )
    _put(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": pv_name,
                "annotations": {"pv.kubernetes.io/provisioned-by": provisioner},
                "finalizers": ["kubernetes.io/pv-protection"],
            },
            "spec": {
                "capacity": {"storage": size},
                "accessModes": ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain" if csi else "Delete",
                "storageClassName": storage_class,
                "volumeMode": "Filesystem",
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "name": name,
                    "namespace": namespace,
                    "uid": claim["metadata"]["uid"],
                    "resourceVersion": claim["metadata"]["resourceVersion"],
                },
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "kubernetes.io/hostname",
                                        "operator": "In",
                                        "values": [node],
                                    }
                                ]
                            }
                        ]
                    }
                },
                **source,
            },
            "status": {"phase": "Bound"},
        },
        created,
    )
    if csi:
        digest = hashlib.sha256(f"{provisioner}{pv_name}{node}".encode()).hexdigest()
        _put(
            cluster,
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "VolumeAttachment",
                "metadata": {"name": f"csi-{digest}"},
                "spec": {
                    "attacher": provisioner,
                    "nodeName": node,
                    "source": {"persistentVolumeName": pv_name},
                },
                "status": {"attached": True},
            },
            created,
        )


def _kubernetes_slice(cluster: SandboxCluster, created: str) -> None:
    """The apiserver's own endpoints, which it writes itself (its Service has no selector)."""
    service = cluster.store.get(("", "services"), "default", "kubernetes")
    if service is None:
        return
    _put(
        cluster,
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {SERVICE_NAME: "kubernetes"},
            },
            "addressType": "IPv4",
            "endpoints": [
                {
                    "addresses": ["172.18.0.10"],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                }
            ],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
        },
        created,
    )


# ------------------------------------------------------------------ cluster-wide objects


def _cluster_objects(
    cluster: SandboxCluster, nodes: list[str], created: str
) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        _priority_class(
            "system-node-critical",
            2000001000,
            "Used for system critical pods that must not be moved from their current node.",
        ),
        _priority_class(
            "system-cluster-critical",
            2000000000,
            "Used for system critical pods that must run in the cluster, but can be "
            "moved to another node if necessary.",
        ),
        _priority_class("high-priority", 100000, "Customer-facing services."),
        _priority_class("batch-low", -10, "Batch work that waits for capacity.", "Never"),
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "standard", "annotations": {DEFAULT_CLASS: "true"}},
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
        },
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast-ssd"},
            "provisioner": "hostpath.csi.k8s.io",
            "parameters": {"csi.storage.k8s.io/fstype": "ext4"},
            "reclaimPolicy": "Retain",
            "volumeBindingMode": "Immediate",
            "allowVolumeExpansion": True,
        },
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "CSIDriver",
            "metadata": {"name": "hostpath.csi.k8s.io"},
            "spec": {
                "attachRequired": True,
                "podInfoOnMount": True,
                "storageCapacity": True,
                "fsGroupPolicy": "File",
                "requiresRepublish": False,
                "seLinuxMount": False,
                "volumeLifecycleModes": ["Persistent", "Ephemeral"],
            },
        },
        {
            "apiVersion": "node.k8s.io/v1",
            "kind": "RuntimeClass",
            "metadata": {"name": "runc"},
            "handler": "runc",
        },
        {
            "apiVersion": "node.k8s.io/v1",
            "kind": "RuntimeClass",
            "metadata": {"name": "gvisor"},
            "handler": "runsc",
            "overhead": {"podFixed": {"cpu": "250m", "memory": "64Mi"}},
        },
        _csr(created),
        *_api_services(cluster),
        *_flow_control(),
    ]
    for index, node in enumerate(nodes):
        drivers = (
            []
            if index == 0
            else [
                {
                    "name": "hostpath.csi.k8s.io",
                    "nodeID": node,
                    "topologyKeys": ["topology.hostpath.csi/node"],
                }
            ]
        )
        objects.append(
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "CSINode",
                "metadata": {"name": node},
                "spec": {"drivers": drivers},
            }
        )
    if cluster.kubesphere:
        objects += _webhooks()
    return objects


def _priority_class(
    name: str, value: int, description: str, preemption: str = "PreemptLowerPriority"
) -> dict[str, Any]:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        "description": description,
        "preemptionPolicy": preemption,
    }


def _csr(created: str) -> dict[str, Any]:
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": "csr-7qk2m"},
        "spec": {
            "request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K",
            "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
            "usages": ["digital signature", "client auth"],
            "username": "system:bootstrap:abcdef",
            "groups": [
                "system:bootstrappers",
                "system:bootstrappers:kubeadm:default-node-token",
                "system:authenticated",
            ],
        },
        "status": {
            "conditions": [
                {
                    "type": "Approved",
                    "status": "True",
                    "reason": "AutoApproved",
                    "message": "Auto approving kubelet client certificate after "
                    "SubjectAccessReview.",
                    "lastUpdateTime": created,
                    "lastTransitionTime": created,
                }
            ],
            "certificate": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
        },
    }


def _api_services(cluster: SandboxCluster) -> list[dict[str, Any]]:
    """One per served group/version: Local for the built-ins and CRDs, metrics-server's own."""
    services = []
    for group in cluster.registry.groups():
        for order, version in enumerate(cluster.registry.served_versions(group)):
            metrics = group == "metrics.k8s.io"
            spec: dict[str, Any] = {
                "group": group,
                "version": version,
                "groupPriorityMinimum": 100 if metrics else 18000,
                "versionPriority": 100 if metrics else 15 - order,
            }
            condition = {
                **_AVAILABLE,
                "reason": "Passed",
                "message": "all checks passed"
                if metrics
                else "Local APIServices are always available",
            }
            if metrics:
                spec.update(
                    {
                        "service": {
                            "name": "metrics-server",
                            "namespace": "kube-system",
                            "port": 443,
                        },
                        "insecureSkipTLSVerify": True,
                    }
                )
            labels = {} if metrics else {"kube-aggregator.kubernetes.io/automanaged": "onstart"}
            services.append(
                {
                    "apiVersion": "apiregistration.k8s.io/v1",
                    "kind": "APIService",
                    "metadata": {"name": f"{version}.{group}", "labels": labels},
                    "spec": spec,
                    "status": {"conditions": [condition]},
                }
            )
    return services


def _webhooks() -> list[dict[str, Any]]:
    client = {
        "service": {"name": "ks-controller-manager", "namespace": "kubesphere-system", "port": 443}
    }

    def hook(name: str, path: str, group: str, resources: list[str]) -> dict[str, Any]:
        return {
            "name": name,
            "clientConfig": {**client, "service": {**client["service"], "path": path}},
            "rules": [
                {
                    "apiGroups": [group],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": resources,
                    "scope": "*",
                }
            ],
            "failurePolicy": "Fail",
            "matchPolicy": "Equivalent",
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 30,
            "namespaceSelector": {},
            "objectSelector": {},
        }

    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "ks-controller-manager"},
            "webhooks": [
                hook(
                    "users.iam.kubesphere.io",
                    "/validate-iam-kubesphere-io-v1beta1-user",
                    "iam.kubesphere.io",
                    ["users"],
                ),
                hook(
                    "resourcequotas.quota.kubesphere.io",
                    "/validate-quota-kubesphere-io",
                    "quota.kubesphere.io",
                    ["resourcequotas"],
                ),
            ],
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "ks-controller-manager"},
            "webhooks": [
                {
                    **hook(
                        "default.workspacetemplate.tenant.kubesphere.io",
                        "/mutate-tenant-kubesphere-io-workspacetemplate",
                        "tenant.kubesphere.io",
                        ["workspacetemplates"],
                    ),
                    "reinvocationPolicy": "Never",
                }
            ],
        },
    ]


def _flow_control() -> list[dict[str, Any]]:
    """The bootstrap priority levels and the flow schemas that send requests to them."""
    api = "flowcontrol.apiserver.k8s.io/v1"
    auto = {"apf.kubernetes.io/autoupdate-spec": "true"}
    levels: list[dict[str, Any]] = [
        {
            "apiVersion": api,
            "kind": "PriorityLevelConfiguration",
            "metadata": {"name": "exempt", "annotations": auto},
            "spec": {
                "type": "Exempt",
                "exempt": {"nominalConcurrencyShares": 0, "lendablePercent": 0},
            },
        },
    ]
    for name, shares, lendable, queuing in (
        ("catch-all", 5, 0, None),
        ("global-default", 20, 50, (128, 6, 50)),
        ("leader-election", 10, 0, (16, 4, 50)),
        ("node-high", 40, 25, (64, 6, 50)),
        ("system", 30, 33, (64, 6, 50)),
        ("workload-high", 40, 50, (128, 6, 50)),
        ("workload-low", 100, 90, (128, 6, 50)),
    ):
        response: dict[str, Any] = {"type": "Reject"}
        if queuing:
            response = {
                "type": "Queue",
                "queuing": dict(
                    zip(("queues", "handSize", "queueLengthLimit"), queuing, strict=True)
                ),
            }
        levels.append(
            {
                "apiVersion": api,
                "kind": "PriorityLevelConfiguration",
                "metadata": {"name": name, "annotations": auto},
                "spec": {
                    "type": "Limited",
                    "limited": {
                        "nominalConcurrencyShares": shares,
                        "lendablePercent": lendable,
                        "limitResponse": response,
                    },
                },
            }
        )
    schemas = []
    for name, level, precedence, by_user, subject in (
        ("exempt", "exempt", 1, False, ("Group", "system:masters")),
        ("probes", "exempt", 2, False, ("Group", "system:unauthenticated")),
        (
            "system-leader-election",
            "leader-election",
            100,
            True,
            ("User", "system:kube-controller-manager"),
        ),
        ("system-node-high", "node-high", 400, True, ("Group", "system:nodes")),
        ("system-nodes", "system", 500, True, ("Group", "system:nodes")),
        (
            "kube-controller-manager",
            "workload-high",
            800,
            True,
            ("User", "system:kube-controller-manager"),
        ),
        ("kube-scheduler", "workload-high", 800, True, ("User", "system:kube-scheduler")),
        ("service-accounts", "workload-low", 9000, True, ("Group", "system:serviceaccounts")),
        ("global-default", "global-default", 9900, True, ("Group", "system:authenticated")),
        ("catch-all", "catch-all", 10000, True, ("Group", "system:authenticated")),
    ):
        kind, who = subject
        subject_obj = {"kind": kind, kind.lower(): {"name": who}}
        spec: dict[str, Any] = {
            "priorityLevelConfiguration": {"name": level},
            "matchingPrecedence": precedence,
            "rules": [
                {
                    "subjects": [subject_obj],
                    "resourceRules": [
                        {
                            "verbs": ["*"],
                            "apiGroups": ["*"],
                            "resources": ["*"],
                            "clusterScope": True,
                            "namespaces": ["*"],
                        }
                    ],
                    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                }
            ],
        }
        if by_user:
            spec["distinguisherMethod"] = {"type": "ByUser"}
        schemas.append(
            {
                "apiVersion": api,
                "kind": "FlowSchema",
                "metadata": {"name": name, "annotations": auto},
                "spec": spec,
                "status": {
                    "conditions": [
                        {
                            "type": "Dangling",
                            "status": "False",
                            "reason": "Found",
                            "message": f"This FlowSchema references the PriorityLevelConfiguration "
                            f'object named "{level}" and it exists',
                        }
                    ]
                },
            }
        )
    return levels + schemas
