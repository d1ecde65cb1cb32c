"""Table printers for workloads and what they consume (pkg/printers/internalversion/printers.go).

Pods, controllers, services/ingresses, config and storage; tables.py holds the shared helpers,
custom-resource tables and the cluster-level kinds (nodes, namespaces, events, RBAC, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kstui.sandbox.printing import (
    AGE,
    NAME,
    Obj,
    Printer,
    age,
    canonical_quantity,
    col,
    condition_true,
    container_cells,
    dig,
    format_label_selector,
    format_labels,
    human_duration,
    name_of,
    parse_time,
    selector_string,
    since,
)

CONTAINERS = col("Containers", "Names of each container in the template.", priority=1)
IMAGES = col("Images", "Images referenced by each container in the template.", priority=1)


# ---------------------------------------------------------------- pods


def _finished_at(status: Obj) -> datetime | None:
    try:
        return parse_time(dig(status, "lastState", "terminated", "finishedAt"))
    except ValueError:
        return None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


def _is_sidecar(container: Obj | None) -> bool:
    """A restartable init container (restartPolicy: Always) counts as a regular container."""
    return container is not None and container.get("restartPolicy") == "Always"


def _init_reason(state: Obj, index: int, total: int) -> str:
    terminated, waiting = state.get("terminated"), state.get("waiting")
    if terminated is not None:
        if terminated.get("reason"):
            return "Init:" + terminated["reason"]
        if terminated.get("signal"):
            return f"Init:Signal:{terminated['signal']}"
        return f"Init:ExitCode:{terminated.get('exitCode', 0)}"
    if waiting is not None and waiting.get("reason") not in (None, "", "PodInitializing"):
        return "Init:" + waiting["reason"]
    return f"Init:{index}/{total}"


def _pod_cells(pod: Obj, now: datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_specs = spec.get("initContainers") or []
    init_by_name = {c.get("name"): c for c in init_specs}
    total = len(spec.get("containers") or []) + sum(map(_is_sidecar, init_specs))
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    restarts = sidecar_restarts = ready = 0
    last_restart = sidecar_last_restart = None
    initializing = False
    for index, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += cs.get("restartCount", 0)
        last_restart = _later(last_restart, _finished_at(cs))
        sidecar = _is_sidecar(init_by_name.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            sidecar_last_restart = _later(sidecar_last_restart, _finished_at(cs))
        state = cs.get("state") or {}
        terminated = state.get("terminated")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        reason = _init_reason(state, index, len(init_specs))
        initializing = True
        break

    if not initializing or condition_true(status.get("conditions"), "Initialized"):
        restarts, last_restart = sidecar_restarts, sidecar_last_restart
        has_running = False
        # Walk backwards so the first container's state wins, as kubectl shows it.
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            last_restart = _later(last_restart, _finished_at(cs))
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                reason = (
                    f"Signal:{terminated['signal']}"
                    if terminated.get("signal")
                    else f"ExitCode:{terminated.get('exitCode', 0)}"
                )
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_condition = condition_true(status.get("conditions"), "Ready")
            reason = "Running" if ready_condition else "NotReady"

    if dig(pod, "metadata", "deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    pod_ip = status.get("podIP") or dig(status, "podIPs", 0, "ip") or "<none>"
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        conditions = status.get("conditions")
        passed = sum(condition_true(conditions, g.get("conditionType")) for g in gates)
        gates_text = f"{passed}/{len(gates)}"
    return [
        name_of(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        age(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]


# ---------------------------------------------------------------- controllers


def _replicas(obj: Obj) -> int:
    return dig(obj, "spec", "replicas", default=1)  # the server defaults spec.replicas to 1


def _status(obj: Obj, field: str) -> int:
    return dig(obj, "status", field, default=0)


def _template_cells(obj: Obj, *path: str) -> list[str]:
    return container_cells(dig(obj, *path, "template", "spec"))


def _deployment_cells(d: Obj, now: datetime) -> list[Any]:
    return [
        name_of(d),
        f"{_status(d, 'readyReplicas')}/{_replicas(d)}",
        _status(d, "updatedReplicas"),
        _status(d, "availableReplicas"),
        age(d, now),
        *_template_cells(d, "spec"),
        selector_string(dig(d, "spec", "selector")),
    ]


def _replicaset_cells(rs: Obj, now: datetime) -> list[Any]:
    return [
        name_of(rs),
        _replicas(rs),
        _status(rs, "replicas"),
        _status(rs, "readyReplicas"),
        age(rs, now),
        *_template_cells(rs, "spec"),
        format_label_selector(dig(rs, "spec", "selector")),
    ]


def _statefulset_cells(sts: Obj, now: datetime) -> list[Any]:
    return [
        name_of(sts),
        f"{_status(sts, 'readyReplicas')}/{_replicas(sts)}",
        age(sts, now),
        *_template_cells(sts, "spec"),
    ]


def _daemonset_cells(ds: Obj, now: datetime) -> list[Any]:
    counts = (
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberAvailable",
    )
    return [
        name_of(ds),
        *(_status(ds, c) for c in counts),
        format_labels(dig(ds, "spec", "template", "spec", "nodeSelector")),
        age(ds, now),
        *_template_cells(ds, "spec"),
        format_label_selector(dig(ds, "spec", "selector")),
    ]


def _job_status(job: Obj) -> str:
    conditions = dig(job, "status", "conditions")
    if condition_true(conditions, "Complete"):
        return "Complete"
    if condition_true(conditions, "Failed"):
        return "Failed"
    if dig(job, "metadata", "deletionTimestamp"):
        return "Terminating"
    if condition_true(conditions, "Suspended"):
        return "Suspended"
    if condition_true(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_cells(job: Obj, now: datetime) -> list[Any]:
    succeeded = _status(job, "succeeded")
    completions = dig(job, "spec", "completions")
    parallelism = dig(job, "spec", "parallelism", default=0)
    if completions is not None:
        progress = f"{succeeded}/{completions}"
    else:
        progress = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    duration = ""
    try:
        start = parse_time(dig(job, "status", "startTime"))
        end = parse_time(dig(job, "status", "completionTime"))
    except ValueError:
        start = end = None
    if start is not None:
        duration = human_duration((end or now) - start)
    return [
        name_of(job),
        _job_status(job),
        progress,
        duration,
        age(job, now),
        *_template_cells(job, "spec"),
        format_label_selector(dig(job, "spec", "selector")),
    ]


def _cronjob_cells(cj: Obj, now: datetime) -> list[Any]:
    spec = cj.get("spec") or {}
    last = dig(cj, "status", "lastScheduleTime")
    suspend = spec.get("suspend", False)  # defaulted to false by the server
    return [
        name_of(cj),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "<unset>" if suspend is None else str(bool(suspend)),
        len(dig(cj, "status", "active", default=[])),
        since(last, now) if last else "<none>",
        age(cj, now),
        *_template_cells(cj, "spec", "jobTemplate", "spec"),
        format_label_selector(dig(spec, "jobTemplate", "spec", "selector")),
    ]


def _revision_cells(rev: Obj, now: datetime) -> list[Any]:
    owner = next(
        (o for o in dig(rev, "metadata", "ownerReferences", default=[]) if o.get("controller")),
        None,
    )
    controller = "<none>"
    if owner is not None:
        group = owner.get("apiVersion", "").rpartition("/")[0]
        kind = f"{owner.get('kind', '')}.{group}" if group else owner.get("kind", "")
        controller = f"{kind.lower()}/{owner.get('name', '')}" if kind else owner.get("name", "")
    return [name_of(rev), controller, rev.get("revision", 0), age(rev, now)]


# ---------------------------------------------------------------- services, config, storage


def _service_cells(svc: Obj, now: datetime) -> list[Any]:
    spec = svc.get("spec") or {}
    type_ = spec.get("type") or "ClusterIP"  # defaulted by the server on create
    cluster_ip = next(iter(spec.get("clusterIPs") or []), spec.get("clusterIP") or "<none>")
    external = ",".join(spec.get("externalIPs") or []) or "<none>"
    if type_ == "LoadBalancer":
        ingress = dig(svc, "status", "loadBalancer", "ingress", default=[])
        lb = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None, ""})
        external = ",".join(lb + (spec.get("externalIPs") or [])) or "<pending>"
    elif type_ == "ExternalName":
        external = spec.get("externalName", "")
    elif type_ not in ("ClusterIP", "NodePort"):
        external = "<unknown>"
    ports = ",".join(
        f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}"
        if p.get("nodePort")
        else f"{p.get('port')}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    )
    return [
        name_of(svc),
        type_,
        cluster_ip,
        external,
        ports or "<none>",
        age(svc, now),
        format_labels(spec.get("selector")),
    ]


def _endpoints_cells(ep: Obj, now: datetime) -> list[Any]:
    subsets = ep.get("subsets") or []
    shown: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        if not subset.get("ports"):  # headless services may have no ports
            count += len(addresses)
            shown += addresses[: 3 - len(shown)]
            continue
        for port in subset["ports"]:
            count += len(addresses)
            for ip in addresses[: 3 - len(shown)]:
                host = f"[{ip}]" if ":" in ip else ip  # net.JoinHostPort brackets IPv6
                shown.append(f"{host}:{port.get('port')}")
    text = ",".join(shown) + (f" + {count - 3} more..." if count > 3 else "")
    return [name_of(ep), text if subsets else "<none>", age(ep, now)]


def _access_modes(modes: list[str] | None) -> str:
    short = {
        "ReadWriteOnce": "RWO",
        "ReadOnlyMany": "ROX",
        "ReadWriteMany": "RWX",
        "ReadWriteOncePod": "RWOP",
    }
    return ",".join(abbr for mode, abbr in short.items() if mode in (modes or ()))


def _storage_class(obj: Obj) -> str:
    beta = dig(obj, "metadata", "annotations", "volume.beta.kubernetes.io/storage-class")
    return beta if beta is not None else dig(obj, "spec", "storageClassName", default="")


def _pv_cells(pv: Obj, now: datetime) -> list[Any]:
    spec = pv.get("spec") or {}
    claim = spec.get("claimRef")
    phase = (
        "Terminating"
        if dig(pv, "metadata", "deletionTimestamp")
        else dig(pv, "status", "phase", default="")
    )
    return [
        name_of(pv),
        canonical_quantity(dig(spec, "capacity", "storage")),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        phase,
        f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "",
        _storage_class(pv),
        spec.get("volumeAttributesClassName") or "<unset>",
        dig(pv, "status", "reason", default=""),
        age(pv, now),
        spec.get("volumeMode") or "<unset>",
    ]


def _pvc_cells(pvc: Obj, now: datetime) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    bound = bool(spec.get("volumeName"))
    phase = "Terminating" if dig(pvc, "metadata", "deletionTimestamp") else status.get("phase", "")
    return [
        name_of(pvc),
        phase,
        spec.get("volumeName", ""),
        canonical_quantity(dig(status, "capacity", "storage")) if bound else "",
        _access_modes(status.get("accessModes")) if bound else "",
        _storage_class(pvc),
        spec.get("volumeAttributesClassName") or "<unset>",
        age(pvc, now),
        spec.get("volumeMode") or "<unset>",
    ]


def _ingress_cells(ing: Obj, now: datetime) -> list[Any]:
    rules = dig(ing, "spec", "rules", default=[])
    hosts: list[str] = []
    more = False
    for rule in rules:  # formatHosts: at most 3 hosts, then "+ N more..." counting rules
        more = more or len(hosts) == 3
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    suffix = f" + {len(rules) - 3} more..." if more else ""
    lb = dig(ing, "status", "loadBalancer", "ingress", default=[])
    address = sorted({i.get("ip") or i.get("hostname") for i in lb} - {None, ""})
    return [
        name_of(ing),
        dig(ing, "spec", "ingressClassName", default="<none>"),
        ",".join(hosts) + suffix if hosts else "*",
        ",".join(address),
        "80, 443" if dig(ing, "spec", "tls") else "80",
        age(ing, now),
    ]


def _ingress_class_cells(ic: Obj, now: datetime) -> list[Any]:
    params = dig(ic, "spec", "parameters")
    text = "<none>"
    if params:
        group = f".{params['apiGroup']}" if params.get("apiGroup") is not None else ""
        text = f"{params.get('kind', '')}{group}/{params.get('name', '')}"
    return [name_of(ic), dig(ic, "spec", "controller", default=""), text, age(ic, now)]


_VAC = "VolumeAttributesClass of the"
_POD_COLUMNS = (
    NAME,
    col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "The aggregate status of the containers in this pod."),
    col(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when "
        "the last container in this pod has restarted.",
    ),
    AGE,
    col("IP", "podIP address allocated to the pod.", priority=1),
    col("Node", "NodeName indicates in which node this pod is scheduled.", priority=1),
    col(
        "Nominated Node",
        "nominatedNodeName is set only when this pod preempts other pods on the "
        "node, but it cannot be scheduled right away as preemption victims receive their graceful "
        "termination periods.",
        priority=1,
    ),
    col(
        "Readiness Gates",
        "If specified, all readiness gates will be evaluated for pod readiness.",
        priority=1,
    ),
)
_READY = col("Ready", "Number of the pod with ready state")

WORKLOAD_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): Printer(_POD_COLUMNS, _pod_cells),
    ("apps", "deployments"): Printer(
        (
            NAME,
            _READY,
            col(
                "Up-to-date",
                "Total number of non-terminating pods targeted by this deployment that "
                "have the desired template spec.",
            ),
            col(
                "Available",
                "Total number of available non-terminating pods (ready for at least "
                "minReadySeconds) targeted by this deployment.",
            ),
            AGE,
            CONTAINERS,
            IMAGES,
            col("Selector", "Label selector for pods.", priority=1),
        ),
        _deployment_cells,
    ),
    ("apps", "replicasets"): Printer(
        (
            NAME,
            col("Desired", "Replicas is the number of desired pods.", "integer"),
            col(
                "Current",
                "Replicas is the most recently observed number of non-terminating pods.",
                "integer",
            ),
            col(
                "Ready",
                "The number of non-terminating pods targeted by this ReplicaSet with a Ready "
                "Condition.",
                "integer",
            ),
            AGE,
            CONTAINERS,
            IMAGES,
            col(
                "Selector",
                "Selector is a label query over pods that should match the replica count.",
                priority=1,
            ),
        ),
        _replicaset_cells,
    ),
    ("apps", "statefulsets"): Printer((NAME, _READY, AGE, CONTAINERS, IMAGES), _statefulset_cells),
    ("apps", "daemonsets"): Printer(
        (
            NAME,
            col(
                "Desired",
                "The total number of nodes that should be running the daemon pod "
                "(including nodes correctly running the daemon pod).",
                "integer",
            ),
            col(
                "Current",
                "The number of nodes that are running at least 1 daemon pod and are "
                "supposed to run the daemon pod.",
                "integer",
            ),
            col(
                "Ready",
                "numberReady is the number of nodes that should be running the daemon pod "
                "and have one or more of the daemon pod running with a Ready Condition.",
                "integer",
            ),
            col(
                "Up-to-date",
                "The total number of nodes that are running updated daemon pod",
                "integer",
            ),
            col(
                "Available",
                "The number of nodes that should be running the daemon pod and have one "
                "or more of the daemon pod running and available (ready for at least "
                "spec.minReadySeconds)",
                "integer",
            ),
            col(
                "Node Selector",
                "NodeSelector is a selector which must be true for the pod to fit on a node.",
            ),
            AGE,
            CONTAINERS,
            IMAGES,
            col(
                "Selector",
                "A label query over pods that are managed by the daemon set.",
                priority=1,
            ),
        ),
        _daemonset_cells,
    ),
    ("batch", "jobs"): Printer(
        (
            NAME,
            col("Status", "Status of the job."),
            col("Completions", "The number of pods which reached phase Succeeded."),
            col("Duration", "Time required to complete the job."),
            AGE,
            CONTAINERS,
            IMAGES,
            col("Selector", "A label query over pods that should match the pod count.", priority=1),
        ),
        _job_cells,
    ),
    ("batch", "cronjobs"): Printer(
        (
            NAME,
            col("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            col(
                "Timezone",
                "The time zone name for the given schedule, see "
                "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.",
            ),
            col(
                "Suspend",
                "This flag tells the controller to suspend subsequent executions, it does "
                "not apply to already started executions.",
                "boolean",
            ),
            col("Active", "A list of pointers to currently running jobs.", "integer"),
            col(
                "Last Schedule",
                "Information when was the last time the job was successfully scheduled.",
            ),
            AGE,
            CONTAINERS,
            IMAGES,
            col("Selector", "A label query over pods that should match the pod count.", priority=1),
        ),
        _cronjob_cells,
    ),
    ("apps", "controllerrevisions"): Printer(
        (
            NAME,
            col("Controller", "Controller of the object"),
            col("Revision", "Revision indicates the revision of the state represented by Data."),
            AGE,
        ),
        _revision_cells,
    ),
    ("", "services"): Printer(
        (
            NAME,
            col("Type", "type determines how the Service is exposed."),
            col(
                "Cluster-IP",
                "clusterIP is the IP address of the service and is usually assigned randomly.",
            ),
            col(
                "External-IP",
                "externalIPs is a list of IP addresses for which nodes in the cluster "
                "will also accept traffic for this service.",
            ),
            col("Port(s)", "The list of ports that are exposed by this service."),
            AGE,
            col(
                "Selector",
                "Route service traffic to pods with label keys and values matching this selector.",
                priority=1,
            ),
        ),
        _service_cells,
    ),
    ("", "endpoints"): Printer(
        (NAME, col("Endpoints", "The set of all endpoints is the union of all subsets."), AGE),
        _endpoints_cells,
    ),
    ("", "configmaps"): Printer(
        (NAME, col("Data", "Data contains the configuration data."), AGE),
        lambda o, now: [
            name_of(o),
            len(o.get("data") or {}) + len(o.get("binaryData") or {}),
            age(o, now),
        ],
    ),
    ("", "secrets"): Printer(
        (
            NAME,
            col("Type", "Used to facilitate programmatic handling of secret data."),
            col("Data", "Data contains the secret data."),
            AGE,
        ),
        lambda o, now: [
            name_of(o),
            o.get("type") or "Opaque",
            len(o.get("data") or {}),
            age(o, now),
        ],
    ),
    ("", "serviceaccounts"): Printer(
        (
            NAME,
            col(
                "Secrets",
                "Secrets is a list of the secrets in the same namespace that pods "
                "running using this ServiceAccount are allowed to use.",
            ),
            AGE,
        ),
        lambda o, now: [name_of(o), len(o.get("secrets") or []), age(o, now)],
    ),
    ("", "persistentvolumes"): Printer(
        (
            NAME,
            col(
                "Capacity",
                "capacity is the description of the persistent volume's resources and capacity.",
            ),
            col("Access Modes", "accessModes contains all ways the volume can be mounted."),
            col(
                "Reclaim Policy",
                "persistentVolumeReclaimPolicy defines what happens to a persistent "
                "volume when released from its claim.",
            ),
            col(
                "Status",
                "phase indicates if a volume is available, bound to a claim, or released "
                "by a claim.",
            ),
            col(
                "Claim",
                "claimRef is part of a bi-directional binding between PersistentVolume and "
                "PersistentVolumeClaim.",
            ),
            col("StorageClass", "StorageClass of the pv"),
            col("VolumeAttributesClass", f"{_VAC} pv"),
            col(
                "Reason",
                "reason is a brief CamelCase string that describes any failure and is "
                "meant for machine parsing and tidy display in the CLI.",
            ),
            AGE,
            col(
                "VolumeMode",
                "volumeMode defines if a volume is intended to be used with a "
                "formatted filesystem or to remain in raw block state.",
                priority=1,
            ),
        ),
        _pv_cells,
    ),
    ("", "persistentvolumeclaims"): Printer(
        (
            NAME,
            col("Status", "phase represents the current phase of PersistentVolumeClaim."),
            col(
                "Volume",
                "volumeName is the binding reference to the PersistentVolume backing this claim.",
            ),
            col("Capacity", "capacity represents the actual resources of the underlying volume."),
            col(
                "Access Modes",
                "accessModes contains the actual access modes the volume backing the PVC has.",
            ),
            col("StorageClass", "StorageClass of the pvc"),
            col("VolumeAttributesClass", f"{_VAC} pvc"),
            AGE,
            col(
                "VolumeMode",
                "volumeMode defines what type of volume is required by the claim.",
                priority=1,
            ),
        ),
        _pvc_cells,
    ),
    ("networking.k8s.io", "ingresses"): Printer(
        (
            NAME,
            col(
                "Class",
                "The name of the IngressClass resource that should be used for "
                "additional configuration",
            ),
            col(
                "Hosts", "Hosts that incoming requests are matched against before the ingress rule"
            ),
            col("Address", "Address is a list containing ingress points for the load-balancer"),
            col("Ports", "Ports of TLS configurations that open"),
            AGE,
        ),
        _ingress_cells,
    ),
    ("networking.k8s.io", "ingressclasses"): Printer(
        (
            NAME,
            col("Controller", "Controller that is responsible for handling this class"),
            col("Parameters", "A reference to a resource with additional parameters"),
            AGE,
        ),
        _ingress_class_cells,
    ),
    ("networking.k8s.io", "networkpolicies"): Printer(
        (
            NAME,
            col(
                "Pod-Selector",
                "podSelector selects the pods to which this NetworkPolicy object applies.",
            ),
            AGE,
        ),
        lambda o, now: [
            name_of(o),
            format_label_selector(dig(o, "spec", "podSelector")),
            age(o, now),
        ],
    ),
}
