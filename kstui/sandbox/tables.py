"""Server-side Table output (`meta.k8s.io/v1` Table), i.e. what `kubectl get` prints.

Built-in kinds follow kube-apiserver's printers (k8s.io/kubernetes pkg/printers/internalversion);
custom kinds follow apiextensions-apiserver's tableconvertor; kinds with neither use the generic
apiserver default (Name, Created At). Printers for workloads and the services, config and storage
they use live in printers_workloads, other built-in groups' in printers_groups, and what every
printer shares in printing; this module keeps cluster-level kinds and picks the printer.
"""

from __future__ import annotations

import contextlib
import functools
import json
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kstui.sandbox import jsonpath
from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.printers_groups import GROUP_PRINTERS
from kstui.sandbox.printers_workloads import WORKLOAD_PRINTERS
from kstui.sandbox.printing import (
    AGE,
    AGE_DOC,
    NAME,
    NAME_DOC,
    Obj,
    Printer,
    age,
    canonical_quantity,
    col,
    dig,
    format_quantity,
    human_duration,
    name_of,
    parse_quantity,
    parse_time,
    since,
)

# ---------------------------------------------------------------- public API


def column_definitions(kind: ResourceKind) -> list[dict[str, Any]]:
    """The Table's columnDefinitions for `kind`, as kube-apiserver serves them."""
    if kind.is_custom:
        return [dict(NAME), *(column for column, _ in _crd_columns(kind))]
    return [dict(c) for c in _printer(kind).columns]


def row_cells(kind: ResourceKind, obj: Obj, now: datetime) -> list[Any]:
    """The cells of `obj`'s row, in column order; None where the server sends null."""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if kind.is_custom:
        return [dig(obj, "metadata", "name", default="")] + [
            _crd_cell(column["type"], path, obj, now) for column, path in _crd_columns(kind)
        ]
    return _printer(kind).cells(obj, now)


def row_conditions(kind: ResourceKind, obj: Obj) -> list[dict[str, str]]:
    """TableRow.conditions: only finished pods carry one (Completed=True)."""
    phase = dig(obj, "status", "phase")
    if kind.is_custom or (kind.group, kind.plural) != ("", "pods"):
        return []
    message = {"Succeeded": "The pod has completed successfully.", "Failed": "The pod failed."}
    if phase not in message:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message[phase]}]


def _printer(kind: ResourceKind) -> Printer:
    return _registry().get((kind.group, kind.plural), DEFAULT_PRINTER)


@functools.cache
def _registry() -> dict[tuple[str, str], Printer]:
    return {**CORE_PRINTERS, **WORKLOAD_PRINTERS, **GROUP_PRINTERS}


# ---------------------------------------------------------------- custom resources


def _crd_columns(kind: ResourceKind) -> list[tuple[dict[str, Any], str]]:
    columns = [
        (
            col(
                c.name,
                c.description
                or f"Custom resource definition column (in JSONPath format): {c.json_path}",
                c.type,
                c.priority,
                c.format,
            ),
            c.json_path,
        )
        for c in kind.columns
    ]
    # serveDefaultColumnsIfEmpty: only a CRD without any printer column gets an Age column.
    return columns or [(col("Age", AGE_DOC, "date"), ".metadata.creationTimestamp")]


def _crd_cell(type_: str, path: str, obj: Obj, now: datetime) -> Any:
    """tableconvertor.ConvertToTable: the first match, rendered by column type; else null."""
    try:
        found = jsonpath.evaluate(obj, path)
    except jsonpath.JSONPathError:
        return None
    if not found:
        return None
    value = found[0]
    if type_ == "string":
        return _go_text(value)
    if value is None or isinstance(value, bool) != (type_ == "boolean"):
        return None
    if type_ == "integer" and isinstance(value, int | float):
        return int(value)
    if type_ == "number" and isinstance(value, int | float):
        return float(value)
    if type_ == "boolean":
        return value
    if type_ == "date" and isinstance(value, str):
        try:
            moment = parse_time(value)
        except ValueError:
            return "<invalid>"
        return "<unknown>" if moment is None else human_duration(now - moment)
    return None


def _go_text(value: Any) -> str:
    """jsonpath PrintResults for one value: JSON for lists/maps, Go's %v for scalars."""
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, dict | list):
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        # encoding/json escapes HTML-sensitive characters
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return str(value)


def _go_float(value: float) -> str:
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text and 1e-4 <= abs(value) < 1e21:
        return format(Decimal(text), "f")
    return text


# ---------------------------------------------------------------- core printers


def _default_cells(obj: Obj, now: datetime) -> list[Any]:
    moment = None
    with contextlib.suppress(ValueError):
        moment = parse_time(dig(obj, "metadata", "creationTimestamp"))
    moment = (moment or datetime(1, 1, 1, tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
    return [name_of(obj), moment.isoformat().replace("+00:00", "Z")]  # Go's time.RFC3339


# The generic apiserver's default table convertor (roles, limitranges, CRDs, ...).
DEFAULT_PRINTER = Printer((NAME, col("Created At", AGE_DOC, "date")), _default_cells)


def _node_cells(node: Obj, now: datetime) -> list[Any]:
    status = ["Unknown"]
    for condition in dig(node, "status", "conditions", default=[]):
        if condition.get("type") == "Ready":
            status = ["Ready" if condition.get("status") == "True" else "NotReady"]
    if dig(node, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    roles = set()
    for key, value in dig(node, "metadata", "labels", default={}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/") :]:
            roles.add(key[len("node-role.kubernetes.io/") :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = dig(node, "status", "nodeInfo", default={})
    addresses = dig(node, "status", "addresses", default=[])

    def address(type_: str) -> str:
        return next((a["address"] for a in addresses if a.get("type") == type_), "<none>")

    return [
        name_of(node),
        ",".join(status),
        ",".join(sorted(roles)) or "<none>",
        age(node, now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _quota_cells(quota: Obj, now: datetime) -> list[Any]:
    hard = dig(quota, "status", "hard", default={})
    used = dig(quota, "status", "used", default={})
    request: list[str] = []
    limit: list[str] = []
    for resource in sorted(hard):
        column = limit if resource.split(".")[0] == "limits" and "." in resource else request
        column.append(
            f"{resource}: {canonical_quantity(used.get(resource))}/"
            f"{canonical_quantity(hard[resource])}"
        )
    return [name_of(quota), age(quota, now), ", ".join(request), ", ".join(limit)]


def _core_event(event: Obj) -> Obj:
    """An events.k8s.io/v1 Event in the core shape (the server prints both from one type)."""
    return {
        "metadata": event.get("metadata") or {},
        "type": event.get("type", ""),
        "reason": event.get("reason", ""),
        "involvedObject": event.get("regarding") or {},
        "message": event.get("note", ""),
        "source": event.get("deprecatedSource") or {},
        "reportingComponent": event.get("reportingController", ""),
        "reportingInstance": event.get("reportingInstance", ""),
        "firstTimestamp": event.get("deprecatedFirstTimestamp"),
        "lastTimestamp": event.get("deprecatedLastTimestamp"),
        "count": event.get("deprecatedCount", 0),
        "series": event.get("series"),
        "eventTime": event.get("eventTime"),
    }


def _event_cells(event: Obj, now: datetime) -> list[Any]:
    first = (
        since(event["firstTimestamp"], now)
        if event.get("firstTimestamp")
        else since(event.get("eventTime"), now)
    )
    last = since(event["lastTimestamp"], now) if event.get("lastTimestamp") else first
    count = event.get("count") or 0
    if event.get("series"):
        last = since(event["series"].get("lastObservedTime"), now)
        count = event["series"].get("count", 0)
    elif count == 0:
        count = 1  # singleton events carry no count in the new API
    regarding = event.get("involvedObject") or {}
    kind = regarding.get("kind", "").lower()
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent", "")
    instance = source.get("host") or event.get("reportingInstance", "")
    return [
        last,
        event.get("type", ""),
        event.get("reason", ""),
        f"{kind}/{regarding['name']}" if regarding.get("name") else kind,
        regarding.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        (event.get("message") or "").strip(),
        first,
        count,
        name_of(event),
    ]


def _binding_cells(binding: Obj, now: datetime) -> list[Any]:
    ref = binding.get("roleRef") or {}
    users: list[str] = []
    groups: list[str] = []
    sas: list[str] = []
    for subject in binding.get("subjects") or []:
        kind, name = subject.get("kind"), subject.get("name", "")
        if kind == "ServiceAccount":
            sas.append(f"{subject.get('namespace', '')}/{name}")
        elif kind in ("User", "Group"):
            (users if kind == "User" else groups).append(name)
    return [
        name_of(binding),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        age(binding, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]


def _metrics_cells(metrics: Obj, now: datetime) -> list[Any]:
    # metrics-server sums container usage for pods; nodes report usage directly.
    usages = [c.get("usage") or {} for c in metrics.get("containers") or []]
    usages = usages if "containers" in metrics else [metrics.get("usage") or {}]

    def total(resource: str) -> str:
        parsed = [parse_quantity(u[resource]) for u in usages if resource in u]
        return format_quantity(
            sum((v for v, _ in parsed), Fraction(0)), parsed[0][1] if parsed else "decimal"
        )

    return [name_of(metrics), total("cpu"), total("memory"), metrics.get("window", "")]


_METRICS = Printer(
    (
        col("Name", "Name of the resource", fmt="name"),
        col("cpu", fmt="quantity"),
        col("memory", fmt="quantity"),
        col("Window", fmt="duration"),
    ),
    _metrics_cells,
)
_BINDING_COLUMNS = (
    NAME,
    col(
        "Role",
        "RoleRef can reference a Role in the current namespace or a ClusterRole in "
        "the global namespace.",
    ),
    AGE,
    col("Users", "Users in the roleBinding", priority=1),
    col("Groups", "Groups in the roleBinding", priority=1),
    col("ServiceAccounts", "ServiceAccounts in the roleBinding", priority=1),
)
_CLUSTER_BINDING_COLUMNS = (
    NAME,
    col("Role", "RoleRef can only reference a ClusterRole in the global namespace."),
    AGE,
    *(
        {**c, "description": c["description"].replace("roleBinding", "clusterRoleBinding")}
        for c in _BINDING_COLUMNS[3:]
    ),
)
_EVENT_COLUMNS = (
    col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    col("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
    col(
        "Reason",
        "This should be a short, machine understandable string that gives the reason "
        "for the transition into the object's current status.",
    ),
    col("Object", "The object that this event is about."),
    col(
        "Subobject",
        "If referring to a piece of an object instead of an entire object, this "
        "string should contain a valid JSON/Go field access statement, such as "
        "desiredState.manifest.containers[2].",
        priority=1,
    ),
    col(
        "Source",
        "The component reporting this event. Should be a short machine understandable string.",
        priority=1,
    ),
    col("Message", "A human-readable description of the status of this operation."),
    col(
        "First Seen",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        priority=1,
    ),
    col("Count", "The number of times this event has occurred.", priority=1),
    col("Name", NAME_DOC, priority=1, fmt="name"),
)
CORE_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "namespaces"): Printer(
        (NAME, col("Status", "The status of the namespace"), AGE),
        lambda o, now: [name_of(o), dig(o, "status", "phase", default="Active"), age(o, now)],
    ),
    ("", "nodes"): Printer(
        (
            NAME,
            col("Status", "The status of the node"),
            col("Roles", "The roles of the node"),
            AGE,
            col("Version", "Kubelet Version reported by the node."),
            col("Internal-IP", "List of addresses reachable to the node.", priority=1),
            col("External-IP", "List of addresses reachable to the node.", priority=1),
            col(
                "OS-Image",
                "OS Image reported by the node from /etc/os-release (e.g. Debian "
                "GNU/Linux 7 (wheezy)).",
                priority=1,
            ),
            col(
                "Kernel-Version",
                "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
                priority=1,
            ),
            col(
                "Container-Runtime",
                "ContainerRuntime Version reported by the node through runtime "
                "remote API (e.g. containerd://1.4.2).",
                priority=1,
            ),
        ),
        _node_cells,
    ),
    ("", "resourcequotas"): Printer(
        (
            NAME,
            AGE,
            col(
                "Request",
                "Request represents a minimum amount of cpu/memory that a container may consume.",
            ),
            col(
                "Limit",
                "Limits control the maximum amount of cpu/memory that a container may use "
                "independent of contention on the node.",
            ),
        ),
        _quota_cells,
    ),
    ("", "events"): Printer(_EVENT_COLUMNS, _event_cells),
    ("events.k8s.io", "events"): Printer(
        _EVENT_COLUMNS, lambda o, now: _event_cells(_core_event(o), now)
    ),
    ("rbac.authorization.k8s.io", "rolebindings"): Printer(_BINDING_COLUMNS, _binding_cells),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): Printer(
        _CLUSTER_BINDING_COLUMNS, _binding_cells
    ),
    ("coordination.k8s.io", "leases"): Printer(
        (
            NAME,
            col("Holder", "holderIdentity contains the identity of the holder of a current lease."),
            AGE,
        ),
        lambda o, now: [name_of(o), dig(o, "spec", "holderIdentity", default=""), age(o, now)],
    ),
    ("metrics.k8s.io", "pods"): _METRICS,
    ("metrics.k8s.io", "nodes"): _METRICS,
}
