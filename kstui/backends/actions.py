"""What the resource browser does to one object: fetch, events, delete, scale, restart, edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from kstui.backends.errors import KstuiError
from kstui.backends.kinds import ResourceKind

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

RESTARTABLE = frozenset({"deployments", "statefulsets", "daemonsets"})
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


class ContainerInfo(NamedTuple):
    name: str
    image: str
    ready: bool
    state: str
    restarts: int
    init: bool = False


async def fetch(
    client: KubeClient, kind: ResourceKind, namespace: str, name: str
) -> dict[str, Any]:
    return await client.get(kind.path(namespace or None, name))


async def events_for(client: KubeClient, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Events about this object, as `kubectl describe` finds them (by involvedObject uid)."""
    meta = obj.get("metadata") or {}
    uid = meta.get("uid")
    if not uid:
        return []
    namespace = meta.get("namespace")
    path = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    answer = await client.get(path, {"fieldSelector": f"involvedObject.uid={uid}"})
    return list(answer.get("items") or [])


async def delete(
    client: KubeClient,
    kind: ResourceKind,
    namespace: str,
    name: str,
    *,
    propagation: str = "Background",
) -> None:
    await client.delete(kind.path(namespace or None, name), propagation=propagation)


def scalable(kind: ResourceKind) -> bool:
    return "scale" in getattr(kind, "subresources", frozenset()) or kind.resource in (
        "deployments",
        "statefulsets",
        "replicasets",
        "replicationcontrollers",
    )


async def replicas(client: KubeClient, kind: ResourceKind, namespace: str, name: str) -> int:
    scale_obj = await client.get(kind.path(namespace or None, name, "scale"))
    return int((scale_obj.get("spec") or {}).get("replicas") or 0)


async def scale(
    client: KubeClient, kind: ResourceKind, namespace: str, name: str, count: int
) -> None:
    if count < 0:
        raise KstuiError("replicas must be 0 or more", f"got {count}")
    await client.patch(
        kind.path(namespace or None, name, "scale"), {"spec": {"replicas": count}}, "merge"
    )


async def restart(
    client: KubeClient, kind: ResourceKind, namespace: str, name: str, at: str
) -> None:
    """`kubectl rollout restart`: stamp the pod template so the controller rolls the pods."""
    if kind.resource not in RESTARTABLE:
        raise KstuiError(
            f"{kind.kind} cannot be restarted",
            "only deployments, statefulsets and daemonsets roll their pods",
        )
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}}
    await client.patch(
        kind.path(namespace or None, name),
        patch,
        "strategic" if kind.group in ("apps", "") else "merge",
    )


async def save_edit(
    client: KubeClient, kind: ResourceKind, edited: dict[str, Any], *, dry_run: bool = False
) -> dict[str, Any]:
    """PUT the edited object. It carries the resourceVersion it was read at, so a change made
    meanwhile by someone else fails with Conflict instead of being overwritten."""
    meta = edited.get("metadata") or {}
    path = kind.path(meta.get("namespace") or None, meta.get("name"))
    return await client.replace(path, edited, dry_run=dry_run)


async def reapply_edit(
    client: KubeClient, kind: ResourceKind, original: dict[str, Any], edited: dict[str, Any]
) -> dict[str, Any]:
    """After a 409: apply only what the user changed (original → edited) onto the latest."""
    patch = merge_patch(strip_volatile(original), strip_volatile(edited))
    meta = edited.get("metadata") or {}
    path = kind.path(meta.get("namespace") or None, meta.get("name"))
    return await client.patch(path, patch, "merge")


def strip_volatile(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without fields the server owns (version, managed fields, status)."""
    clean = {k: v for k, v in obj.items() if k != "status"}
    meta = dict(clean.get("metadata") or {})
    for key in ("resourceVersion", "managedFields", "generation", "uid", "creationTimestamp"):
        meta.pop(key, None)
    clean["metadata"] = meta
    return clean


def merge_patch(before: Any, after: Any) -> Any:
    """An RFC 7386 merge patch turning `before` into `after` (None deletes a key)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return after
    patch: dict[str, Any] = {}
    for key in before.keys() - after.keys():
        patch[key] = None
    for key, value in after.items():
        if key not in before:
            patch[key] = value
        elif before[key] != value:
            patch[key] = merge_patch(before[key], value)
    return patch


def pod_selector(obj: dict[str, Any]) -> str | None:
    """The label selector of the pods an object manages, in `-l` syntax."""
    spec = obj.get("spec") or {}
    kind = obj.get("kind", "")
    if kind == "Service":
        labels = spec.get("selector") or {}
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None
    selector = spec.get("selector")
    if kind == "CronJob" or not isinstance(selector, dict):
        return None
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(expression.get("values") or [])
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(str(key))
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or None


def controller_of(obj: dict[str, Any]) -> tuple[str, str, str] | None:
    """(apiVersion, kind, name) of the controlling owner, or the first owner."""
    owners = (obj.get("metadata") or {}).get("ownerReferences") or []
    if not owners:
        return None
    owner = next((o for o in owners if o.get("controller")), owners[0])
    return str(owner.get("apiVersion", "")), str(owner.get("kind", "")), str(owner.get("name", ""))


def containers_of(pod: dict[str, Any]) -> list[ContainerInfo]:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    found: list[ContainerInfo] = []
    for init, spec_key, status_key in (
        (True, "initContainers", "initContainerStatuses"),
        (False, "containers", "containerStatuses"),
    ):
        statuses = {s.get("name"): s for s in status.get(status_key) or []}
        for container in spec.get(spec_key) or []:
            name = container.get("name", "")
            state_obj = statuses.get(name, {})
            state = next(iter(state_obj.get("state") or {}), "waiting")
            detail = ((state_obj.get("state") or {}).get(state) or {}).get("reason")
            found.append(
                ContainerInfo(
                    name=name,
                    image=container.get("image", ""),
                    ready=bool(state_obj.get("ready")),
                    state=f"{state}:{detail}" if detail else state,
                    restarts=int(state_obj.get("restartCount") or 0),
                    init=init,
                )
            )
    return found
