"""Table printers for the groups beyond workloads: policy, autoscaling, storage, scheduling,
discovery, node, certificates, admission, aggregation, flow control; and the core
ReplicationController and PodTemplate (pkg/printers/internalversion/printers.go, and
kube-aggregator's for APIService)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kstui.sandbox.printing import (
    AGE,
    NAME,
    Obj,
    Printer,
    age,
    col,
    container_cells,
    dig,
    format_labels,
    human_duration,
    name_of,
)

_CONTAINERS = col("Containers", "Names of each container in the template.", priority=1)
_IMAGES = col("Images", "Images referenced by each container in the template.", priority=1)
_NONE = "<none>"


def _int_or_str(value: Any) -> str:
    return _NONE if value is None else str(value)


def _pdb_cells(pdb: Obj, now: datetime) -> list[Any]:
    spec = pdb.get("spec") or {}
    return [
        name_of(pdb),
        _int_or_str(spec.get("minAvailable")),
        _int_or_str(spec.get("maxUnavailable")),
        int(dig(pdb, "status", "disruptionsAllowed", default=0)),
        age(pdb, now),
    ]


def _rc_cells(rc: Obj, now: datetime) -> list[Any]:
    spec, status = rc.get("spec") or {}, rc.get("status") or {}
    return [
        name_of(rc),
        int(spec.get("replicas", 1)),
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        age(rc, now),
        *container_cells(dig(spec, "template", "spec")),
        format_labels(spec.get("selector")),
    ]


def _podtemplate_cells(pt: Obj, now: datetime) -> list[Any]:
    template = pt.get("template") or {}
    return [
        name_of(pt),
        *container_cells(template.get("spec")),
        format_labels(dig(template, "metadata", "labels")),
    ]


# ---------------------------------------------------------------- autoscaling


def _hpa_metric(spec: Obj, statuses: list[Obj]) -> str:
    """One entry of formatHPAMetrics: `cpu: 45%/80%`, `<unknown>` before the first reading."""
    type_ = spec.get("type", "")
    if type_ == "Resource":
        resource = spec.get("resource") or {}
        name, target = resource.get("name", ""), resource.get("target") or {}
        current = next(
            (
                dig(s, "resource", "current", default={})
                for s in statuses
                if s.get("type") == "Resource" and dig(s, "resource", "name") == name
            ),
            None,
        )
        if target.get("averageUtilization") is not None:
            shown = "<unknown>"
            if current and current.get("averageUtilization") is not None:
                shown = f"{current['averageUtilization']}%"
            return f"{name}: {shown}/{target['averageUtilization']}%"
        shown = (current or {}).get("averageValue") or "<unknown>"
        return f"{name}: {shown}/{target.get('averageValue', '')}"
    section = {
        "Pods": "pods",
        "Object": "object",
        "External": "external",
        "ContainerResource": "containerResource",
    }.get(type_)
    if section is None:
        return "<unknown type>"
    target = dig(spec, section, "target", default={})
    wanted = target.get("averageValue") or target.get("value") or ""
    reading: dict[str, Any] = next(
        (dig(s, section, "current", default={}) for s in statuses if s.get("type") == type_), {}
    )
    shown = reading.get("averageValue") or reading.get("value") or "<unknown>"
    prefix = "avg" if target.get("averageValue") and type_ != "Pods" else ""
    return f"{shown}/{wanted} ({prefix})" if prefix else f"{shown}/{wanted}"


def _hpa_cells(hpa: Obj, now: datetime) -> list[Any]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    metrics = [
        _hpa_metric(m, status.get("currentMetrics") or []) for m in spec.get("metrics") or []
    ]
    targets = ", ".join(metrics[:2]) or _NONE
    if len(metrics) > 2:
        targets += f" + {len(metrics) - 2} more..."
    return [
        name_of(hpa),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        targets,
        "<unset>" if spec.get("minReplicas") is None else str(spec["minReplicas"]),
        int(spec.get("maxReplicas", 0)),
        int(status.get("currentReplicas", 0)),
        age(hpa, now),
    ]


# ---------------------------------------------------------------- storage

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def _storageclass_cells(sc: Obj, now: datetime) -> list[Any]:
    annotations = dig(sc, "metadata", "annotations", default={})
    name = name_of(sc)
    if "true" in (
        annotations.get(DEFAULT_CLASS),
        annotations.get("storageclass.beta.kubernetes.io/is-default-class"),
    ):
        name += " (default)"
    return [
        name,
        sc.get("provisioner", ""),
        sc.get("reclaimPolicy") or "Delete",
        sc.get("volumeBindingMode") or "Immediate",
        bool(sc.get("allowVolumeExpansion", False)),
        age(sc, now),
    ]


def _csidriver_cells(driver: Obj, now: datetime) -> list[Any]:
    spec = driver.get("spec") or {}
    tokens = (
        ",".join(
            f"{t.get('audience', '')}"
            + (f":{t['expirationSeconds']}s" if t.get("expirationSeconds") else "")
            for t in spec.get("tokenRequests") or []
        )
        or "<unset>"
    )
    return [
        name_of(driver),
        bool(spec.get("attachRequired", True)),
        bool(spec.get("podInfoOnMount", False)),
        bool(spec.get("storageCapacity", False)),
        tokens,
        bool(spec.get("requiresRepublish", False)),
        ",".join(spec.get("volumeLifecycleModes") or ["Persistent"]),
        age(driver, now),
    ]


def _attachment_cells(va: Obj, now: datetime) -> list[Any]:
    spec = va.get("spec") or {}
    return [
        name_of(va),
        spec.get("attacher", ""),
        dig(spec, "source", "persistentVolumeName", default=""),
        spec.get("nodeName", ""),
        bool(dig(va, "status", "attached", default=False)),
        age(va, now),
    ]


# ---------------------------------------------------------------- the rest


def _endpointslice_cells(slice_: Obj, now: datetime) -> list[Any]:
    ports = (
        ",".join(
            str(p["port"]) if p.get("port") is not None else "<unset>"
            for p in slice_.get("ports") or []
        )
        or "<unset>"
    )
    addresses = [a for e in slice_.get("endpoints") or [] for a in e.get("addresses") or []]
    shown = ",".join(addresses[:3]) or "<unset>"
    if len(addresses) > 3:
        shown += f" + {len(addresses) - 3} more..."
    return [name_of(slice_), slice_.get("addressType", ""), ports, shown, age(slice_, now)]


def _csr_cells(csr: Obj, now: datetime) -> list[Any]:
    spec = csr.get("spec") or {}
    seconds = spec.get("expirationSeconds")
    conditions = [c.get("type", "") for c in dig(csr, "status", "conditions", default=[])]
    duration = _NONE if seconds is None else human_duration(timedelta(seconds=seconds))
    return [
        name_of(csr),
        age(csr, now),
        spec.get("signerName", ""),
        spec.get("username", ""),
        duration,
        ",".join(conditions) or "Pending",
    ]


def _apiservice_cells(svc: Obj, now: datetime) -> list[Any]:
    ref = dig(svc, "spec", "service")
    service = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else "Local"
    available = "Unknown"
    for condition in dig(svc, "status", "conditions", default=[]):
        if condition.get("type") == "Available":
            available = condition.get("status", "Unknown")
            if available != "True" and condition.get("reason"):
                available = f"{available} ({condition['reason']})"
    return [name_of(svc), service, available, age(svc, now)]


def _flowschema_cells(fs: Obj, now: datetime) -> list[Any]:
    spec = fs.get("spec") or {}
    dangling = next(
        (
            c.get("status", "?")
            for c in dig(fs, "status", "conditions", default=[])
            if c.get("type") == "Dangling"
        ),
        "?",
    )
    return [
        name_of(fs),
        dig(spec, "priorityLevelConfiguration", "name", default=""),
        int(spec.get("matchingPrecedence", 0)),
        dig(spec, "distinguisherMethod", "type", default=_NONE),
        age(fs, now),
        dangling,
    ]


def _plc_cells(plc: Obj, now: datetime) -> list[Any]:
    spec = plc.get("spec") or {}
    shares = queues = hand = limit = _NONE
    limited = spec.get("limited")
    if spec.get("type") == "Limited" and limited:
        shares = str(limited.get("nominalConcurrencyShares", 0))
        queuing = dig(limited, "limitResponse", "queuing")
        if dig(limited, "limitResponse", "type") == "Queue" and queuing:
            queues, hand, limit = (
                str(queuing.get(k, 0)) for k in ("queues", "handSize", "queueLengthLimit")
            )
    return [name_of(plc), spec.get("type", ""), shares, queues, hand, limit, age(plc, now)]


def _webhooks(kind: str) -> Printer:
    return Printer(
        (
            NAME,
            col("Webhooks", f"Webhooks indicates the number of webhooks in the {kind}.", "integer"),
            AGE,
        ),
        lambda o, now: [name_of(o), len(o.get("webhooks") or []), age(o, now)],
    )


GROUP_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "replicationcontrollers"): Printer(
        (
            NAME,
            col("Desired", "Replicas is the number of desired replicas.", "integer"),
            col("Current", "Replicas is the most recently observed number of replicas.", "integer"),
            col(
                "Ready", "The number of ready replicas for this replication controller.", "integer"
            ),
            AGE,
            _CONTAINERS,
            _IMAGES,
            col(
                "Selector",
                "Selector is a label query over pods that should match the Replicas count.",
                priority=1,
            ),
        ),
        _rc_cells,
    ),
    ("", "podtemplates"): Printer(
        (
            NAME,
            col("Containers", "Names of each container in the template."),
            col("Images", "Images referenced by each container in the template."),
            col("Pod Labels", "The labels for the pod template."),
        ),
        _podtemplate_cells,
    ),
    ("policy", "poddisruptionbudgets"): Printer(
        (
            NAME,
            col("Min Available", "The minimum number of pods that must be available."),
            col("Max Unavailable", "The maximum number of pods that may be unavailable."),
            col(
                "Allowed Disruptions",
                "Calculated number of pods that may be disrupted at this time.",
                "integer",
            ),
            AGE,
        ),
        _pdb_cells,
    ),
    ("autoscaling", "horizontalpodautoscalers"): Printer(
        (
            NAME,
            col(
                "Reference",
                "reference to scaled resource; horizontal pod autoscaler will "
                "learn the current resource consumption and will set the desired number of "
                "pods by using its Scale subresource.",
            ),
            col(
                "Targets",
                "metrics contains the specifications for which to use to calculate the "
                "desired replica count.",
            ),
            col(
                "MinPods",
                "minReplicas is the lower limit for the number of replicas to which the "
                "autoscaler can scale down.",
            ),
            col(
                "MaxPods",
                "maxReplicas is the upper limit for the number of replicas to which the "
                "autoscaler can scale up.",
                "integer",
            ),
            col(
                "Replicas",
                "currentReplicas is current number of replicas of pods managed by this "
                "autoscaler, as last seen by the autoscaler.",
                "integer",
            ),
            AGE,
        ),
        _hpa_cells,
    ),
    ("storage.k8s.io", "storageclasses"): Printer(
        (
            NAME,
            col("Provisioner", "provisioner indicates the type of the provisioner."),
            col(
                "ReclaimPolicy",
                "reclaimPolicy controls the reclaimPolicy for dynamically "
                "provisioned PersistentVolumes of this storage class.",
            ),
            col(
                "VolumeBindingMode",
                "volumeBindingMode indicates how PersistentVolumeClaims should "
                "be provisioned and bound.",
            ),
            col(
                "AllowVolumeExpansion",
                "allowVolumeExpansion shows whether the storage class allow volume expand.",
                "boolean",
            ),
            AGE,
        ),
        _storageclass_cells,
    ),
    ("storage.k8s.io", "csidrivers"): Printer(
        (
            NAME,
            col(
                "AttachRequired",
                "attachRequired indicates this CSI volume driver requires an attach operation.",
                "boolean",
            ),
            col(
                "PodInfoOnMount",
                "podInfoOnMount indicates this CSI volume driver requires "
                "additional pod information during mount operations.",
                "boolean",
            ),
            col(
                "StorageCapacity",
                "storageCapacity indicates that the CSI volume driver wants pod "
                "scheduling to consider the storage capacity.",
                "boolean",
            ),
            col(
                "TokenRequests",
                "tokenRequests indicates the CSI driver needs pods' service account tokens.",
            ),
            col(
                "RequiresRepublish",
                "requiresRepublish indicates the CSI driver wants "
                "`NodePublishVolume` being periodically called.",
                "boolean",
            ),
            col(
                "Modes",
                "volumeLifecycleModes defines what kind of volumes this CSI volume driver "
                "supports.",
            ),
            AGE,
        ),
        _csidriver_cells,
    ),
    ("storage.k8s.io", "csinodes"): Printer(
        (
            NAME,
            col(
                "Drivers",
                "drivers is a list of information of all CSI Drivers existing on a node.",
                "integer",
            ),
            AGE,
        ),
        lambda o, now: [name_of(o), len(dig(o, "spec", "drivers", default=[])), age(o, now)],
    ),
    ("storage.k8s.io", "volumeattachments"): Printer(
        (
            NAME,
            col(
                "Attacher",
                "attacher indicates the name of the volume driver that MUST handle this request.",
            ),
            col(
                "PV", "persistentVolumeName represents the name of the persistent volume to attach."
            ),
            col("Node", "nodeName represents the node that the volume should be attached to."),
            col("Attached", "attached indicates the volume is successfully attached.", "boolean"),
            AGE,
        ),
        _attachment_cells,
    ),
    ("scheduling.k8s.io", "priorityclasses"): Printer(
        (
            NAME,
            col("Value", "value represents the integer value of this priority class.", "integer"),
            col(
                "Global-Default",
                "globalDefault specifies whether this PriorityClass should be "
                "considered as the default priority.",
                "boolean",
            ),
            AGE,
            col(
                "PreemptionPolicy",
                "preemptionPolicy is the Policy for preempting pods with lower priority.",
            ),
        ),
        lambda o, now: [
            name_of(o),
            int(o.get("value", 0)),
            bool(o.get("globalDefault", False)),
            age(o, now),
            o.get("preemptionPolicy") or "PreemptLowerPriority",
        ],
    ),
    ("discovery.k8s.io", "endpointslices"): Printer(
        (
            NAME,
            col(
                "AddressType",
                "addressType specifies the type of address carried by this EndpointSlice.",
            ),
            col(
                "Ports",
                "ports specifies the list of network ports exposed by each endpoint in this slice.",
            ),
            col("Endpoints", "endpoints is a list of unique endpoints in this slice."),
            AGE,
        ),
        _endpointslice_cells,
    ),
    ("node.k8s.io", "runtimeclasses"): Printer(
        (
            NAME,
            col(
                "Handler",
                "handler specifies the underlying runtime and configuration that "
                "the CRI implementation will use to handle pods of this class.",
            ),
            AGE,
        ),
        lambda o, now: [name_of(o), o.get("handler", ""), age(o, now)],
    ),
    ("certificates.k8s.io", "certificatesigningrequests"): Printer(
        (
            NAME,
            AGE,
            col("SignerName", "Only one signer may be specified."),
            col("Requestor", "Name of the user which submitted the request."),
            col(
                "RequestedDuration",
                "expirationSeconds is the requested duration of validity of "
                "the issued certificate.",
            ),
            col("Condition", "Condition of the request."),
        ),
        _csr_cells,
    ),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): _webhooks(
        "ValidatingWebhookConfiguration"
    ),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): _webhooks(
        "MutatingWebhookConfiguration"
    ),
    ("apiregistration.k8s.io", "apiservices"): Printer(
        (
            NAME,
            col("Service", "The reference to the service that hosts this API endpoint."),
            col("Available", "Whether this service is available."),
            AGE,
        ),
        _apiservice_cells,
    ),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): Printer(
        (
            NAME,
            col(
                "PriorityLevel",
                "priorityLevelConfiguration should reference a "
                "PriorityLevelConfiguration in the cluster.",
            ),
            col(
                "MatchingPrecedence",
                "matchingPrecedence is used to choose among the FlowSchemas "
                "that match a given request.",
                "integer",
            ),
            col(
                "DistinguisherMethod",
                "distinguisherMethod defines how to compute the flow "
                "distinguisher for requests that match this schema.",
            ),
            AGE,
            col(
                "MissingPL",
                "indicates whether the priority level configuration that this "
                "FlowSchema refers to is missing.",
            ),
        ),
        _flowschema_cells,
    ),
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): Printer(
        (
            NAME,
            col(
                "Type",
                "type indicates whether this priority level is subject to "
                "limitation on request execution.",
            ),
            col(
                "NominalConcurrencyShares",
                "nominalConcurrencyShares (NCS) contributes to the "
                "computation of the NominalConcurrencyLimit (NominalCL) of this level.",
            ),
            col("Queues", "queues is the number of queues for this priority level."),
            col(
                "HandSize",
                "handSize is a small positive number that configures the shuffle "
                "sharding of requests into queues.",
            ),
            col(
                "QueueLengthLimit",
                "queueLengthLimit is the maximum number of requests allowed to "
                "be waiting in a given queue of this priority level at a time.",
            ),
            AGE,
        ),
        _plc_cells,
    ),
}
