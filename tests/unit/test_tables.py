"""Server-side Table output: columns and cells as kube-apiserver renders them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from kstui.sandbox.kinds import BUILTIN_KINDS, PrinterColumn, ResourceKind, kinds_from_crd
from kstui.sandbox.printing import AGE_DOC, NAME_DOC, canonical_quantity, human_duration
from kstui.sandbox.tables import column_definitions, row_cells, row_conditions
from tests.source_tree import parse_source

DATA = Path(__file__).resolve().parents[2] / "kstui" / "sandbox" / "data"
NOW = datetime(2025, 5, 12, 9, 10, tzinfo=UTC)
CREATED = "2025-05-01T02:00:00Z"  # 11d7h10m before NOW


def _kinds() -> dict[tuple[str, str], ResourceKind]:
    kinds = {(k.api_version, k.kind): k for k in reversed(BUILTIN_KINDS)}
    for file in sorted((DATA / "crds").glob("*.yaml")):
        for crd in yaml.safe_load_all(file.read_text()):
            for kind in kinds_from_crd(crd) if crd else ():
                kinds[(kind.api_version, kind.kind)] = kind
    return kinds


KINDS = _kinds()
SEED = [d for d in yaml.safe_load_all((DATA / "seed-objects.yaml").read_text()) if d]


def builtin(group: str, plural: str) -> ResourceKind:
    return next(k for k in BUILTIN_KINDS if (k.group, k.plural) == (group, plural))


def seed(kind: str, name: str, created: str | None = CREATED) -> dict[str, Any]:
    obj = copy.deepcopy(next(o for o in SEED if (o["kind"], o["metadata"]["name"]) == (kind, name)))
    if created:
        obj["metadata"]["creationTimestamp"] = created
    return obj


def cells(obj: dict[str, Any], now: datetime = NOW) -> list[Any]:
    return row_cells(KINDS[(obj["apiVersion"], obj["kind"])], obj, now)


def names(kind: ResourceKind) -> list[tuple[str, int]]:
    return [(c["name"], c["priority"]) for c in column_definitions(kind)]


# ---------------------------------------------------------------- ages


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=-3), "<invalid>"),
        (timedelta(seconds=-1.5), "0s"),
        (timedelta(0), "0s"),
        (timedelta(seconds=5), "5s"),
        (timedelta(seconds=119), "119s"),
        (timedelta(seconds=120), "2m"),
        (timedelta(seconds=150), "2m30s"),
        (timedelta(minutes=9, seconds=59), "9m59s"),
        (timedelta(minutes=10, seconds=30), "10m"),
        (timedelta(minutes=45), "45m"),
        (timedelta(minutes=179), "179m"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=3, minutes=12, seconds=40), "3h12m"),
        (timedelta(hours=7, minutes=59), "7h59m"),
        (timedelta(hours=8, minutes=30), "8h"),
        (timedelta(hours=47, minutes=59), "47h"),
        (timedelta(hours=48), "2d"),
        (timedelta(days=2, hours=5, minutes=30), "2d5h"),
        (timedelta(days=7, hours=23), "7d23h"),
        (timedelta(days=8, hours=5), "8d"),
        (timedelta(days=84), "84d"),
        (timedelta(days=729), "729d"),
        (timedelta(days=730), "2y"),
        (timedelta(days=760), "2y30d"),
        (timedelta(days=365 * 8), "8y"),
        (timedelta(days=365 * 10 + 100), "10y"),
    ],
)
def test_human_duration(delta: timedelta, expected: str) -> None:
    assert human_duration(delta) == expected


# ---------------------------------------------------------------- pods

POD = builtin("", "pods")


def test_pod_columns() -> None:
    assert names(POD) == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    columns = column_definitions(POD)
    assert columns[0] == {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": NAME_DOC,
        "priority": 0,
    }
    assert columns[3]["type"] == "string"  # "7 (18m ago)" is a string since Kubernetes 1.24
    assert columns[4]["description"] == AGE_DOC


def test_crashlooping_worker_pod() -> None:
    assert cells(seed("Pod", "shop-worker-7c9d8b6f5-hv2rk")) == [
        "shop-worker-7c9d8b6f5-hv2rk",
        "0/1",
        "CrashLoopBackOff",
        "7 (18m ago)",
        "11d",
        "10.233.90.44",
        "node-1",
        "<none>",
        "<none>",
    ]


def test_running_pod_with_an_old_restart() -> None:
    assert cells(seed("Pod", "reviews-v1-5d8c9f7b6c-q9w4m"))[:5] == [
        "reviews-v1-5d8c9f7b6c-q9w4m",
        "2/2",
        "Running",
        "1 (3d6h ago)",
        "11d",
    ]


def test_unschedulable_pod_without_creation_timestamp() -> None:
    assert cells(seed("Pod", "bert-finetune-xq2lp", created=None)) == [
        "bert-finetune-xq2lp",
        "0/1",
        "Pending",
        "0",
        "<unknown>",
        "<none>",
        "<none>",
        "<none>",
        "<none>",
    ]


def _pod(containers: list[dict], phase: str = "Running", **extra: Any) -> dict[str, Any]:
    spec = {"containers": [{"name": c["name"]} for c in containers]}
    spec.update(extra.pop("spec", {}))
    status = {"phase": phase, "containerStatuses": containers, **extra}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": spec,
        "status": status,
        "metadata": {"name": "p", "creationTimestamp": CREATED},
    }


def _running(name: str, ready: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "ready": ready,
        "restartCount": 0,
        "state": {"running": {"startedAt": CREATED}},
    }


@pytest.mark.parametrize(
    ("pod", "ready", "status"),
    [
        (
            _pod(
                [
                    {
                        "name": "a",
                        "restartCount": 0,
                        "state": {"waiting": {"reason": "ContainerCreating"}},
                    }
                ],
                "Pending",
            ),
            "0/1",
            "ContainerCreating",
        ),
        (
            _pod(
                [
                    {
                        "name": "a",
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                    }
                ],
                "Succeeded",
            ),
            "0/1",
            "Completed",
        ),
        (
            _pod(
                [{"name": "a", "restartCount": 0, "state": {"terminated": {"exitCode": 2}}}],
                "Failed",
            ),
            "0/1",
            "ExitCode:2",
        ),
        (
            _pod(
                [
                    {
                        "name": "a",
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "signal": 9}},
                    }
                ],
                "Failed",
            ),
            "0/1",
            "Signal:9",
        ),
        # one container completed while another still runs: Running if the pod is Ready
        (
            _pod(
                [
                    _running("a"),
                    {
                        "name": "b",
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                    },
                ],
                conditions=[{"type": "Ready", "status": "True"}],
            ),
            "1/2",
            "Running",
        ),
        (
            _pod(
                [
                    _running("a"),
                    {
                        "name": "b",
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                    },
                ]
            ),
            "1/2",
            "NotReady",
        ),
        (
            _pod(
                [],
                "Pending",
                conditions=[
                    {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
                ],
            ),
            "0/0",
            "SchedulingGated",
        ),
        (_pod([], "Failed", reason="Evicted"), "0/0", "Evicted"),
    ],
)
def test_pod_status_reasons(pod: dict[str, Any], ready: str, status: str) -> None:
    assert cells(pod)[1:3] == [ready, status]


def _init_pod(init_statuses: list[dict], **extra: Any) -> dict[str, Any]:
    pod = _pod(
        [{"name": "app", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
        "Pending",
        **extra,
    )
    pod["spec"]["initContainers"] = [{"name": s["name"]} for s in init_statuses]
    pod["status"]["initContainerStatuses"] = init_statuses
    return pod


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (
            [
                {"name": "i1", "restartCount": 0, "state": {"running": {}}},
                {
                    "name": "i2",
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "PodInitializing"}},
                },
            ],
            "Init:0/2",
        ),
        (
            [
                {"name": "i1", "restartCount": 0, "state": {"terminated": {"exitCode": 0}}},
                {"name": "i2", "restartCount": 0, "state": {"running": {}}},
            ],
            "Init:1/2",
        ),
        (
            [
                {
                    "name": "i1",
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                }
            ],
            "Init:CrashLoopBackOff",
        ),
        (
            [
                {
                    "name": "i1",
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 1, "reason": "Error"}},
                }
            ],
            "Init:Error",
        ),
        (
            [{"name": "i1", "restartCount": 0, "state": {"terminated": {"exitCode": 3}}}],
            "Init:ExitCode:3",
        ),
    ],
)
def test_init_container_status(statuses: list[dict], expected: str) -> None:
    row = cells(_init_pod(statuses))
    assert row[2] == expected
    assert row[3] == str(statuses[0]["restartCount"])  # init restarts count while initializing


def test_sidecar_init_containers_count_as_containers() -> None:
    pod = _init_pod(
        [
            {
                "name": "proxy",
                "restartCount": 2,
                "started": True,
                "ready": True,
                "state": {"running": {}},
                "lastState": {"terminated": {"finishedAt": "2025-05-12T09:00:00Z"}},
            }
        ],
        conditions=[{"type": "Initialized", "status": "True"}],
    )
    pod["status"]["phase"] = "Running"
    pod["spec"]["initContainers"][0]["restartPolicy"] = "Always"
    pod["status"]["containerStatuses"] = [_running("app")]
    assert cells(pod)[1:4] == ["2/2", "Running", "2 (10m ago)"]


def test_terminating_pod_and_wide_columns() -> None:
    pod = _pod(
        [_running("a")],
        podIPs=[{"ip": "fd00::5"}],
        nominatedNodeName="node-9",
        conditions=[
            {"type": "Ready", "status": "True"},
            {"type": "example.com/gate", "status": "True"},
        ],
        spec={
            "nodeName": "node-2",
            "readinessGates": [
                {"conditionType": "example.com/gate"},
                {"conditionType": "other/gate"},
            ],
        },
    )
    pod["metadata"]["deletionTimestamp"] = "2025-05-12T09:09:00Z"
    assert cells(pod)[2:] == ["Terminating", "0", "11d", "fd00::5", "node-2", "node-9", "1/2"]
    pod["status"]["phase"] = "Succeeded"
    assert cells(pod)[2] == "Succeeded"  # finished pods are not "Terminating"


def test_row_conditions_mark_finished_pods() -> None:
    pod = _pod([], "Succeeded")
    assert row_conditions(POD, pod) == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    assert row_conditions(POD, _pod([_running("a")])) == []


# ---------------------------------------------------------------- workloads


def test_deployments() -> None:
    kind = builtin("apps", "deployments")
    assert names(kind) == [
        ("Name", 0),
        ("Ready", 0),
        ("Up-to-date", 0),
        ("Available", 0),
        ("Age", 0),
        ("Containers", 1),
        ("Images", 1),
        ("Selector", 1),
    ]
    assert cells(seed("Deployment", "reviews-v1")) == [
        "reviews-v1",
        "2/2",
        2,
        2,
        "11d",
        "reviews",
        "registry.acme.example/shop/reviews:1.7.4",
        "app=reviews,app.kubernetes.io/name=storefront,app.kubernetes.io/version=v1,version=v1",
    ]
    assert cells(seed("Deployment", "shop-worker"))[:5] == ["shop-worker", "0/1", 1, 0, "11d"]


def _workload(kind: str, api_version: str, spec: dict, status: dict) -> dict[str, Any]:
    template = {
        "spec": {
            "containers": [
                {"name": "web", "image": "nginx:1.27"},
                {"name": "log", "image": "busybox"},
            ]
        }
    }
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "w", "creationTimestamp": CREATED},
        "spec": {"template": template, **spec},
        "status": status,
    }


def test_replicasets_statefulsets_daemonsets() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["b", "a"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    rs = _workload(
        "ReplicaSet",
        "apps/v1",
        {"replicas": 3, "selector": selector},
        {"replicas": 3, "readyReplicas": 2},
    )
    assert cells(rs) == [
        "w",
        3,
        3,
        2,
        "11d",
        "web,log",
        "nginx:1.27,busybox",
        "app=web,!canary,tier in (a,b)",
    ]  # sorted by key
    sts = _workload("StatefulSet", "apps/v1", {"replicas": 3}, {"readyReplicas": 1})
    assert cells(sts) == ["w", "1/3", "11d", "web,log", "nginx:1.27,busybox"]
    ds = _workload(
        "DaemonSet",
        "apps/v1",
        {"selector": {"matchLabels": {"app": "web"}}},
        {
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "numberReady": 2,
            "updatedNumberScheduled": 3,
            "numberAvailable": 2,
        },
    )
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
    assert cells(ds) == [
        "w",
        3,
        3,
        2,
        3,
        2,
        "kubernetes.io/os=linux",
        "11d",
        "web,log",
        "nginx:1.27,busybox",
        "app=web",
    ]


def test_jobs_and_cronjobs() -> None:
    kind = builtin("batch", "jobs")
    assert names(kind)[:5] == [
        ("Name", 0),
        ("Status", 0),
        ("Completions", 0),
        ("Duration", 0),
        ("Age", 0),
    ]
    done = _workload(
        "Job",
        "batch/v1",
        {"completions": 1},
        {
            "succeeded": 1,
            "startTime": "2025-05-11T06:58:51Z",
            "completionTime": "2025-05-11T07:03:05Z",
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    )
    assert cells(done)[:5] == ["w", "Complete", "1/1", "4m14s", "11d"]
    running = _workload(
        "Job", "batch/v1", {"parallelism": 4}, {"startTime": "2025-05-12T08:55:00Z", "active": 4}
    )
    assert cells(running)[:4] == ["w", "Running", "0/1 of 4", "15m"]
    assert cells(running)[-1] == "<none>"
    cron = _workload(
        "CronJob",
        "batch/v1",
        {"schedule": "*/5 * * * *"},
        {"lastScheduleTime": "2025-05-12T09:05:00Z", "active": [{"name": "j"}]},
    )
    cron["spec"]["jobTemplate"] = {"spec": {"template": cron["spec"].pop("template")}}
    assert cells(cron) == [
        "w",
        "*/5 * * * *",
        "<none>",
        "False",
        1,
        "5m",
        "11d",
        "web,log",
        "nginx:1.27,busybox",
        "<none>",
    ]


# ---------------------------------------------------------------- core kinds


def test_namespaces_and_quota() -> None:
    assert names(builtin("", "namespaces")) == [("Name", 0), ("Status", 0), ("Age", 0)]
    assert cells(seed("Namespace", "shop-prod")) == ["shop-prod", "Active", "11d"]
    assert cells(seed("ResourceQuota", "shop-prod")) == [
        "shop-prod",
        "11d",
        "pods: 5/40, requests.cpu: 1750m/4, requests.memory: 3Gi/8Gi",
        "limits.cpu: 4/8, limits.memory: 6Gi/16Gi",
    ]


def test_configmaps_and_secrets() -> None:
    assert cells(seed("ConfigMap", "storefront-build-4m7kq")) == [
        "storefront-build-4m7kq",
        2,
        "11d",
    ]
    secret = next(o for o in SEED if o["kind"] == "Secret")
    assert cells(secret)[1:3] == ["helm.sh/release.v1", 1]


def test_services() -> None:
    assert cells(seed("Service", "reviews")) == [
        "reviews",
        "ClusterIP",
        "<none>",
        "<none>",
        "9080/TCP",
        "11d",
        "app=reviews,app.kubernetes.io/name=storefront,app.kubernetes.io/version=v1",
    ]
    svc = seed("Service", "reviews")
    svc["spec"].update(
        type="LoadBalancer",
        clusterIP="10.233.4.7",
        clusterIPs=["10.233.4.7"],
        ports=[
            {"port": 80, "protocol": "TCP"},
            {"port": 443, "nodePort": 30443, "protocol": "TCP"},
        ],
    )
    assert cells(svc)[1:5] == ["LoadBalancer", "10.233.4.7", "<pending>", "80/TCP,443:30443/TCP"]
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}
    assert cells(svc)[3] == "203.0.113.9"


def test_nodes() -> None:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "node-1",
            "creationTimestamp": CREATED,
            "labels": {
                "node-role.kubernetes.io/worker": "",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True"},
            ],
            "addresses": [{"type": "InternalIP", "address": "192.168.10.11"}],
            "nodeInfo": {
                "kubeletVersion": "v1.30.6",
                "osImage": "Ubuntu 22.04.4 LTS",
                "kernelVersion": "5.15.0-105-generic",
                "containerRuntimeVersion": "containerd://1.7.13",
            },
        },
    }
    assert cells(node) == [
        "node-1",
        "Ready,SchedulingDisabled",
        "control-plane,worker",
        "11d",
        "v1.30.6",
        "192.168.10.11",
        "<none>",
        "Ubuntu 22.04.4 LTS",
        "5.15.0-105-generic",
        "containerd://1.7.13",
    ]
    bare = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n", "labels": {}}}
    assert cells(bare)[1:3] == ["Unknown", "<none>"]


def test_core_events() -> None:
    assert names(builtin("", "events")) == [
        ("Last Seen", 0),
        ("Type", 0),
        ("Reason", 0),
        ("Object", 0),
        ("Subobject", 1),
        ("Source", 1),
        ("Message", 0),
        ("First Seen", 1),
        ("Count", 1),
        ("Name", 1),
    ]
    assert cells(seed("Event", "shop-worker-7c9d8b6f5-hv2rk.17ee4b3a0c9d2f11")) == [
        "4m19s",
        "Warning",
        "BackOff",
        "pod/shop-worker-7c9d8b6f5-hv2rk",
        "spec.containers{worker}",
        "kubelet, node-1",
        "Back-off restarting failed container worker in pod shop-worker-7c9d8b6f5-hv2rk_shop-"
        "prod(3f2a9c1e-6b7d-4e8f-9a0b-1c2d3e4f5a6b)",
        "48m",
        31,
        "shop-worker-7c9d8b6f5-hv2rk.17ee4b3a0c9d2f11",
    ]
    row = cells(seed("Event", "storefront-build-p8vzc.17ee4f1a2b3c4d5e"))
    assert row[3:6] == ["pipelinerun/storefront-build-p8vzc", "", "pipelinerun-controller"]


def test_events_k8s_io_events_print_like_core_events() -> None:
    kind = builtin("events.k8s.io", "events")
    assert column_definitions(kind) == column_definitions(builtin("", "events"))
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "e1", "namespace": "shop-prod"},
        "eventTime": "2025-05-12T08:00:00.000000Z",
        "type": "Normal",
        "reason": "Scheduled",
        "regarding": {"kind": "Pod", "name": "web-0", "fieldPath": ""},
        "note": "  Successfully assigned shop-prod/web-0 to node-1\n",
        "reportingController": "default-scheduler",
        "reportingInstance": "sched-1",
        "series": {"count": 4, "lastObservedTime": "2025-05-12T09:07:30.123456Z"},
    }
    assert row_cells(kind, event, NOW) == [
        "2m29s",
        "Normal",
        "Scheduled",
        "pod/web-0",
        "",
        "default-scheduler, sched-1",
        "Successfully assigned shop-prod/web-0 to node-1",
        "70m",
        4,
        "e1",
    ]
    del event["series"]
    assert row_cells(kind, event, NOW)[0] == "70m"
    assert row_cells(kind, event, NOW)[8] == 1  # singleton events have no count


def test_rbac_bindings_and_default_printer() -> None:
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "kubesphere:iam:alice-admin", "creationTimestamp": CREATED},
        "roleRef": {"kind": "ClusterRole", "name": "admin"},
        "subjects": [
            {"kind": "User", "name": "alice"},
            {"kind": "User", "name": "carol"},
            {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "name": "ci", "namespace": "shop-prod"},
        ],
    }
    assert cells(binding) == [
        "kubesphere:iam:alice-admin",
        "ClusterRole/admin",
        "11d",
        "alice, carol",
        "devs",
        "shop-prod/ci",
    ]
    for group, plural in [
        ("rbac.authorization.k8s.io", "roles"),
        ("", "limitranges"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
    ]:
        kind = builtin(group, plural)
        assert [(c["name"], c["type"]) for c in column_definitions(kind)] == [
            ("Name", "string"),
            ("Created At", "date"),
        ]
        obj = {"metadata": {"name": "x", "creationTimestamp": "2025-05-01T04:00:00+02:00"}}
        assert row_cells(kind, obj, NOW) == ["x", "2025-05-01T02:00:00Z"]


def test_storage_and_networking() -> None:
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data-redis-0", "creationTimestamp": CREATED},
        "spec": {
            "volumeName": "pvc-1",
            "storageClassName": "local-path",
            "accessModes": ["ReadWriteOnce"],
            "volumeMode": "Filesystem",
        },
        "status": {
            "phase": "Bound",
            "capacity": {"storage": "8192Mi"},
            "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
        },
    }
    assert cells(pvc) == [
        "data-redis-0",
        "Bound",
        "pvc-1",
        "8Gi",
        "RWO,ROX",
        "local-path",
        "<unset>",
        "11d",
        "Filesystem",
    ]
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "creationTimestamp": CREATED},
        "spec": {
            "rules": [{"host": "shop.example"}, {"host": "api.example"}],
            "tls": [{"hosts": ["shop.example"]}],
        },
    }
    assert cells(ing) == ["shop", "<none>", "shop.example,api.example", "", "80, 443", "11d"]
    netpol = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "creationTimestamp": CREATED},
        "spec": {"podSelector": {}},
    }
    assert cells(netpol) == ["deny", "<none>", "11d"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500m", "1500m"),
        ("0.5", "500m"),
        ("2000", "2k"),
        ("12", "12"),
        ("1.5Gi", "1536Mi"),
        ("48Gi", "48Gi"),
        ("4736Mi", "4736Mi"),
        ("1024Mi", "1Gi"),
        ("0.5Ki", "512"),
        ("1e3", "1e3"),
        (40, "40"),
        ("0", "0"),
        (None, "0"),
        ("100Mi", "100Mi"),
    ],
)
def test_quantities_print_canonically(text: Any, expected: str) -> None:
    assert canonical_quantity(text) == expected


# ---------------------------------------------------------------- custom resources


def test_pipelinerun_printer_columns() -> None:
    kind = KINDS[("devops.kubesphere.io/v1alpha3", "PipelineRun")]
    assert column_definitions(kind) == [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": NAME_DOC,
            "priority": 0,
        },
        {
            "name": "ID",
            "type": "string",
            "format": "",
            "description": "The id of a PipelineRun",
            "priority": 0,
        },
        {
            "name": "Phase",
            "type": "string",
            "format": "",
            "description": "The phase of a PipelineRun",
            "priority": 0,
        },
        {
            "name": "Age",
            "type": "date",
            "format": "",
            "description": "The age of a PipelineRun",
            "priority": 0,
        },
    ]
    assert cells(seed("PipelineRun", "storefront-build-h2x9d")) == [
        "storefront-build-h2x9d",
        "13",
        "Failed",
        "11d",
    ]
    run = seed("PipelineRun", "storefront-build-p8vzc")
    del run["status"]
    assert cells(run) == ["storefront-build-p8vzc", "14", None, "11d"]  # missing: JSON null


def test_strategy_and_virtualservice_columns_render_lists_as_json() -> None:
    assert cells(seed("Strategy", "reviews-canary")) == [
        "reviews-canary",
        "Canary",
        '["reviews"]',
        "11d",
    ]
    assert cells(seed("VirtualService", "reviews")) == ["reviews", None, '["reviews"]', "11d"]


def test_crd_without_printer_columns_gets_age_only() -> None:
    kind = KINDS[("tenant.kubesphere.io/v1beta1", "Workspace")]
    assert column_definitions(kind)[1] == {
        "name": "Age",
        "type": "date",
        "format": "",
        "description": AGE_DOC,
        "priority": 0,
    }
    assert cells(seed("Workspace", "acme-retail")) == ["acme-retail", "11d"]


def test_crd_with_printer_columns_gets_no_extra_age() -> None:
    kind = KINDS[("iam.kubesphere.io/v1beta1", "User")]
    assert [c["name"] for c in column_definitions(kind)] == ["Name", "Email", "Status"]
    assert cells(seed("User", "dave")) == ["dave", "dave@acme.example", "Disabled"]


def test_crd_column_types() -> None:
    def column(name: str, type_: str, path: str) -> PrinterColumn:
        return PrinterColumn(name=name, type=type_, json_path=path)

    kind = ResourceKind(
        group="example.com",
        version="v1",
        plural="widgets",
        kind="Widget",
        namespaced=True,
        crd_name="widgets.example.com",
        columns=(
            column("Int", "integer", ".spec.float"),
            column("Num", "number", ".spec.int"),
            column("Bool", "boolean", ".spec.flag"),
            column("BadBool", "boolean", ".spec.int"),
            column("Started", "date", ".status.startTime"),
            column("Bad", "date", ".status.bad"),
            column("Str", "string", ".spec.int"),
            column("Float", "string", ".spec.float"),
            column("Flag", "string", ".spec.flag"),
            column("Map", "string", ".spec.map"),
            column("Null", "string", ".spec.null"),
            column("First", "string", ".spec.items[*].name"),
            column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
        ),
    )
    widget = {
        "metadata": {"name": "w1"},
        "spec": {
            "float": 3.75,
            "int": 2,
            "flag": True,
            "map": {"b": 1, "a": "<x>"},
            "null": None,
            "items": [{"name": "one"}, {"name": "two"}],
        },
        "status": {
            "startTime": "2025-05-12T06:00:00Z",
            "bad": "yesterday",
            "conditions": [{"type": "Ready", "status": "False"}],
        },
    }
    assert row_cells(kind, widget, NOW) == [
        "w1",
        3,
        2.0,
        True,
        None,
        "3h10m",
        "<invalid>",
        "2",
        "3.75",
        "true",
        '{"a":"\\u003cx\\u003e","b":1}',
        "<no value>",
        "one",
        "False",
    ]
    assert column_definitions(kind)[1]["description"] == (
        "Custom resource definition column (in JSONPath format): .spec.float"
    )


def test_every_seed_object_renders() -> None:
    for obj in SEED:
        kind = KINDS[(obj["apiVersion"], obj["kind"])]
        row = row_cells(kind, obj, NOW)
        assert len(row) == len(column_definitions(kind)), obj["kind"]


def test_naive_now_is_taken_as_utc() -> None:
    obj = seed("Namespace", "shop-prod")
    assert cells(obj, NOW.replace(tzinfo=None)) == cells(obj)


def test_printer_modules_import_only_the_stdlib() -> None:
    import ast
    import sys

    allowed = {
        "kstui.sandbox",
        "kstui.sandbox.kinds",
        "kstui.sandbox.jsonpath",
        "kstui.sandbox.tables",
        "kstui.sandbox.printers_workloads",
        "kstui.sandbox.printers_groups",
        "kstui.sandbox.printing",
    }
    for module in ("tables", "printers_workloads", "printers_groups", "printing", "jsonpath"):
        tree = parse_source((DATA.parent / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                imported = [node.module or ""]
            elif isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            else:
                continue
            for name in imported:
                top = name.split(".")[0]
                assert name in allowed or top in sys.stdlib_module_names or top == "__future__", (
                    module,
                    name,
                )
