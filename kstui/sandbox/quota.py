"""Quota usage and admission: what kube-apiserver's quota admission plugin checks and the
QuotaLedger every cluster owns from birth (usage per namespace, summed again from its pods when
a quota's controller or admission asks; store events only mark a namespace stale). The
controllers that write quota status live in controllers/quota.py."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.printing import format_quantity, parse_quantity
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Event, StorageKey, Store

PODS = ("", "pods")
NAMESPACES = ("", "namespaces")
QUOTAS = ("", "resourcequotas")
WORKSPACE_QUOTAS = ("quota.kubesphere.io", "resourcequotas")
COUNTED: tuple[StorageKey, ...] = (
    PODS,
    QUOTAS,
    ("", "services"),
    ("", "configmaps"),
    ("", "secrets"),
    ("", "persistentvolumeclaims"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
)
"""Kinds whose objects quotas count (`count/<resource>[.<group>]`); events are left out: they
come by the thousand and nobody quotas them."""
_COUNTED = frozenset(COUNTED)
_LEGACY_COUNTS = {
    ("", "services"): "services",
    ("", "configmaps"): "configmaps",
    ("", "secrets"): "secrets",
    ("", "resourcequotas"): "resourcequotas",
    ("", "persistentvolumeclaims"): "persistentvolumeclaims",
}
_TERMINAL = frozenset(("Succeeded", "Failed"))
_COMPUTE = ("cpu", "memory", "ephemeral-storage")
_MUST_SPECIFY = frozenset(
    ("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
)
"""Quota'd resources every container must state (the pod evaluator's validationSet)."""

Quantity = tuple[Fraction, str]  # value and format ("decimal", "binary", "exponent")
Usage = dict[str, Quantity]
ZERO: Quantity = (Fraction(0), "decimal")


def count_name(key: StorageKey) -> str:
    group, plural = key
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def add_usage(usage: Usage, name: str, quantity: Quantity) -> None:
    """Quantity.Add: the sum keeps the first operand's format unless that one is zero."""
    current = usage.get(name)
    if current is None or current[0] == 0:
        usage[name] = ((current[0] if current else 0) + quantity[0], quantity[1])
    else:
        usage[name] = (current[0] + quantity[0], current[1])


def _parse(value: Any) -> Quantity | None:
    try:
        return parse_quantity(value)
    except ValueError:
        return None


def _container_resources(container: dict[str, Any], which: str) -> dict[str, Quantity]:
    resources = container.get("resources") or {}
    given = dict(resources.get("limits") or {})
    if which == "requests":  # defaulting makes a missing request equal to its limit
        given.update(resources.get("requests") or {})
    parsed = {name: _parse(value) for name, value in given.items()}
    return {name: quantity for name, quantity in parsed.items() if quantity is not None}


def _pod_resources(spec: dict[str, Any], which: str) -> Usage:
    """PodRequests / PodLimits: containers add up; an init container only raises the max."""
    total: Usage = {}
    for container in spec.get("containers") or ():
        for name, quantity in _container_resources(container, which).items():
            add_usage(total, name, quantity)
    for container in spec.get("initContainers") or ():
        for name, quantity in _container_resources(container, which).items():
            if container.get("restartPolicy") == "Always":  # a sidecar runs alongside
                add_usage(total, name, quantity)
            elif name not in total or total[name][0] < quantity[0]:
                total[name] = quantity
    for name, value in (spec.get("overhead") or {}).items():
        overhead = _parse(value)
        if overhead is not None and name in total:
            add_usage(total, name, overhead)
    return total


def pod_usage(pod: dict[str, Any]) -> Usage:
    """PodUsageFunc: a terminal pod still counts as an object, no longer as compute."""
    usage: Usage = {"count/pods": (Fraction(1), "decimal")}
    if (pod.get("status") or {}).get("phase") in _TERMINAL:
        return usage
    usage["pods"] = (Fraction(1), "decimal")
    spec = pod.get("spec") or {}
    requests, limits = _pod_resources(spec, "requests"), _pod_resources(spec, "limits")
    for name in _COMPUTE:
        if name in requests:
            usage[name] = usage[f"requests.{name}"] = requests[name]
        if name in limits:
            usage[f"limits.{name}"] = limits[name]
    for name, quantity in requests.items():
        if name.startswith("hugepages-"):
            usage[name] = usage[f"requests.{name}"] = quantity
    return usage


def changes_usage(event: Event) -> bool:
    """Whether an event can change a namespace's usage: objects come and go; a pod's resources
    never change, but reaching a terminal phase takes it out of the compute figures."""
    if event.key not in _COUNTED:
        return False
    if event.type != "MODIFIED":
        return True
    if event.key != PODS or event.old is None:
        return False
    return (event.old.fields.get("status.phase") in _TERMINAL) != (
        event.new.fields.get("status.phase") in _TERMINAL
    )


def shown(quantity: Quantity) -> str:
    return format_quantity(*quantity)


def canonical(resources: dict[str, Any] | None) -> dict[str, str]:
    """A ResourceList as the server stores it: every quantity in its canonical form."""
    result = {}
    for name, value in sorted((resources or {}).items()):  # a Go map: keys in order
        quantity = _parse(value)
        result[name] = shown(quantity) if quantity is not None else str(value)
    return result


def masked(usage: Usage, names: Iterable[str]) -> dict[str, str]:
    return {name: shown(usage.get(name, ZERO)) for name in names}


class QuotaLedger:
    """Which counted objects each namespace holds, and their usage summed on demand."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._names: dict[tuple[StorageKey, str], dict[str, None]] = {}
        self._usage: dict[str, Usage] = {}
        store.add_listener(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.key not in _COUNTED:
            return
        namespace = event.new.namespace
        if event.type == "ADDED":
            self._names.setdefault((event.key, namespace), {})[event.new.name] = None
        elif event.type == "DELETED":
            self._names.get((event.key, namespace), {}).pop(event.new.name, None)
        elif not changes_usage(event):
            return
        self._usage.pop(namespace, None)

    def names(self, key: StorageKey, namespace: str) -> list[str]:
        return sorted(self._names.get((key, namespace), ()))

    def usage(self, namespace: str) -> Usage:
        found = self._usage.get(namespace)
        if found is None:
            found = self._usage[namespace] = self._sum(namespace)
        return found

    def _sum(self, namespace: str) -> Usage:
        usage: Usage = {}
        for key in COUNTED:
            names = self._names.get((key, namespace))
            if not names or key == PODS:
                continue
            count = (Fraction(len(names)), "decimal")
            usage[count_name(key)] = count
            if key in _LEGACY_COUNTS:
                usage[_LEGACY_COUNTS[key]] = count
        for name in self.names(PODS, namespace):  # in key order, as a list would give them
            entry = self.store.entry(PODS, namespace, name)
            if entry is not None:
                for resource, quantity in pod_usage(entry.decode()).items():
                    add_usage(usage, resource, quantity)
        return usage


# ------------------------------------------------------------------ admission


def _tracked_by(key: StorageKey, resource: str) -> bool:
    """MatchingResources: which quota'd resources an object of this kind is charged for."""
    if key == PODS:
        return (
            resource in ("pods", "count/pods")
            or resource.startswith(("requests.", "limits.", "hugepages-"))
            or resource in _COMPUTE
        )
    return resource in (count_name(key), _LEGACY_COUNTS.get(key))


def _missing(pod: dict[str, Any], required: set[str]) -> str:
    """Constraints: quota'd cpu or memory must be stated by every container."""
    missing: dict[str, list[str]] = {}
    spec = pod.get("spec") or {}
    for container in [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]:
        has = set(pod_usage({"spec": {"containers": [container]}}))
        for resource in sorted(required - has):
            missing.setdefault(resource, []).append(container.get("name", ""))
    return "; ".join(
        f"{resource} for: {','.join(sorted(names))}" for resource, names in sorted(missing.items())
    )


def _listed(resources: dict[str, str]) -> str:
    return ",".join(f"{name}={value}" for name, value in sorted(resources.items()))


def admit(ledger: QuotaLedger, kind: ResourceKind, obj: dict[str, Any]) -> None:
    """The ResourceQuota admission plugin on create: 403 when any quota would be exceeded."""
    key = kind.storage_key
    if not kind.namespaced or key not in _COUNTED:
        return
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace", "")
    quota_names = ledger.names(QUOTAS, namespace)
    if not quota_names:
        return
    if key == PODS:
        delta = pod_usage(obj)
    else:
        one = (Fraction(1), "decimal")
        delta = {
            count_name(key): one,
            **({_LEGACY_COUNTS[key]: one} if key in _LEGACY_COUNTS else {}),
        }
    name = meta.get("name", "")
    subject = f'{kind.plural} "{name}"' if name else kind.plural  # as errors.NewForbidden
    usage = ledger.usage(namespace)
    for quota_name in quota_names:
        quota = ledger.store.get(QUOTAS, namespace, quota_name)
        if quota is None:
            continue
        hard = {
            resource: quantity
            for resource, value in ((quota.get("spec") or {}).get("hard") or {}).items()
            if (quantity := _parse(value)) is not None and _tracked_by(key, resource)
        }
        if not hard:
            continue
        if key == PODS:
            missing = _missing(obj, set(hard) & _MUST_SPECIFY)
            if missing:
                raise ApiError.forbidden(
                    f"{subject} is forbidden: failed quota: {quota_name}: must specify {missing}",
                    name,
                    kind.group,
                    kind.plural,
                )
        exceeded = sorted(
            resource
            for resource, limit in hard.items()
            if resource in delta and usage.get(resource, ZERO)[0] + delta[resource][0] > limit[0]
        )
        if exceeded:
            raise ApiError.forbidden(
                f"{subject} is forbidden: exceeded quota: {quota_name}, "
                f"requested: {_listed(masked(delta, exceeded))}, "
                f"used: {_listed(masked(usage, exceeded))}, "
                f"limited: {_listed({r: shown(hard[r]) for r in exceeded})}",
                name,
                kind.group,
                kind.plural,
            )


# ------------------------------------------------------------------ controllers
