"""The writes of the Traffic section on one context's client (API.md §5.3, §7.4).

Each write is conditional on the object as it was read (its resourceVersion in the body, or a
delete's precondition): if someone changed it since, the server answers 409 and the write
raises `Changed` with the object read again and what differs, so the user is asked again and
nothing is overwritten. Each write is checked by SelfSubjectAccessReview first: a user without
the verb gets `NotAllowed` (why) and nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import Conflict, KstuiError, NotFound
from kstui.backends.objects import annotations_of, items, meta_of
from kstui.backends.traffic_bodies import (
    governor_body,
    httproute_weights_patch,
    mirror_body,
    offline_loser,
    offline_refusal,
    strategy_path,
    vs_weights_patch,
    weights_body,
)
from kstui.backends.traffic_create import NewStrategy, strategy_body, unmet, versions_of
from kstui.backends.traffic_model import (
    GATEWAY_API,
    ISTIO_API,
    STRATEGY_API,
    STRATEGY_GROUP,
    Body,
    Source,
    Split,
    StrategyType,
    http_route_split,
    port_protocol,
    strategy_split,
    virtual_service_split,
)

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

RESOURCE = {
    Source.STRATEGY: (STRATEGY_GROUP, "strategies"),
    Source.VIRTUAL_SERVICE: ("networking.istio.io", "virtualservices"),
    Source.HTTP_ROUTE: ("gateway.networking.k8s.io", "httproutes"),
}


class NotAllowed(KstuiError):
    """RBAC refuses the write (asked before anything is sent)."""


class Unmet(KstuiError):
    """§5.1's prerequisites do not hold; `problems` names each failing one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"cannot create: {problems[0]}", "; ".join(problems[1:]))
        self.problems = problems


class Changed(KstuiError):
    """Someone changed the object since it was read: nothing was written."""

    def __init__(self, before: Split, after: Split | None, differences: list[str]) -> None:
        what = "; ".join(differences) or "its resourceVersion moved"
        super().__init__(
            f"{before.name} changed since it was read: nothing written",
            what if after is not None else "it is gone",
            "look at the new values, then apply again",
        )
        self.before, self.after, self.differences = before, after, differences


@dataclass(frozen=True, slots=True)
class Undo:
    """What sets the previous state back: a weight, or a governor."""

    weight: int | None = None
    governor: str | None = None


@dataclass(frozen=True, slots=True)
class Written:
    before: Split
    after: Split
    """The split as the write's answer left it (its new resourceVersion: undo is conditional
    on it)."""
    sent: Body
    undo: Undo | None = None


def differences(before: Split, after: Split) -> list[str]:
    """What another writer changed, in words."""
    found = []
    if dict(before.weights) != dict(after.weights):
        found.append(f"weights {_weights(before)} → {_weights(after)}")
    if dict(before.wanted) != dict(after.wanted):
        found.append(f"template {_weights(before, True)} → {_weights(after, True)}")
    if before.governor != after.governor:
        found.append(f"governor {before.governor or '(none)'} → {after.governor or '(none)'}")
    if before.mirror != after.mirror:
        found.append(f"mirror {before.mirror or '(off)'} → {after.mirror or '(off)'}")
    if before.type != after.type:
        found.append(f"type {before.type} → {after.type}")
    return found


def _weights(split: Split, wanted: bool = False) -> str:
    pairs = split.wanted if wanted else split.weights
    return "/".join(f"{v} {w}" for v, w in pairs) or "—"


def object_path(split: Split) -> str:
    if split.source is Source.STRATEGY:
        return strategy_path(split.namespace, split.name)
    api = ISTIO_API if split.source is Source.VIRTUAL_SERVICE else GATEWAY_API
    return f"/apis/{api}/namespaces/{split.namespace}/{RESOURCE[split.source][1]}/{split.name}"


def vs_path(namespace: str, name: str = "") -> str:
    base = f"/apis/{ISTIO_API}/namespaces/{namespace}/virtualservices"
    return f"{base}/{name}" if name else base


async def read_split(client: KubeClient, split: Split) -> Split | None:
    """The split read again (None: gone)."""
    try:
        obj = await client.get(object_path(split))
    except NotFound:
        return None
    return await as_split(client, split, obj)


async def as_split(client: KubeClient, split: Split, obj: dict[str, Any]) -> Split | None:
    where = {"context": split.context, "cluster": split.cluster}
    if split.source is Source.STRATEGY:
        try:
            vs = await client.get(vs_path(split.namespace, split.host))
        except NotFound:
            vs = None
        return strategy_split(obj, vs, **where)
    if split.source is Source.VIRTUAL_SERVICE:
        return virtual_service_split(obj, **where)
    return http_route_split(obj, **where)


async def may(client: KubeClient, verb: str, split: Split, resource: str = "") -> None:
    """SelfSubjectAccessReview, raising NotAllowed with who may not do what, and why."""
    group, plural = RESOURCE[split.source] if not resource else ("apps", resource)
    allowed, reason = await client.can_i(verb, plural, group=group, namespace=split.namespace)
    if not allowed:
        raise NotAllowed(
            f"you may not {verb} {plural} in {split.namespace} (RBAC): nothing was sent",
            reason,
            "ask a project admin for a role that allows it",
        )


async def send(client: KubeClient, split: Split, body: Body, undo: Undo | None = None) -> Written:
    """One conditional write; a 409 becomes Changed with the object read again."""
    await may(client, "patch", split)
    try:
        answer = await client.patch(body.path, body.body, "merge")
    except Conflict:
        after = await read_split(client, split)
        raise Changed(split, after, differences(split, after) if after else []) from None
    after = await as_split(client, split, answer) or split
    return Written(split, after, body, undo)


async def set_weight(client: KubeClient, split: Split, weight: int) -> Written:
    """The slider (and take over of a Canary by weight): §5.3's weights patch, or §7.4's."""
    undo = Undo(weight=split.template_weight)
    if split.source is Source.STRATEGY:
        return await send(client, split, weights_body(split, weight), undo)
    current = await client.get(object_path(split))
    if str(meta_of(current).get("resourceVersion")) != split.resource_version:
        after = await as_split(client, split, current)
        raise Changed(split, after, differences(split, after) if after else [])
    if split.source is Source.VIRTUAL_SERVICE:
        patch = vs_weights_patch(current, split.old, split.new, weight)
    else:
        patch = httproute_weights_patch(current, split.old, split.new, weight)
    return await send(client, split, Body("PATCH", object_path(split), patch), undo)


async def set_governor(client: KubeClient, split: Split, version: str) -> Written:
    """Take over with `version` (Blue-green, Canary by content, Mirror); "" restores."""
    if split.source is not Source.STRATEGY:
        raise KstuiError("only a grayscale Strategy has a governor", split.name)
    undo = Undo(governor=split.governor)
    return await send(client, split, governor_body(split, version), undo)


async def set_mirror(client: KubeClient, split: Split, on: bool) -> Written:
    if split.source is not Source.STRATEGY:
        raise KstuiError("mirroring is switched on a grayscale Strategy", split.name)
    try:
        body = mirror_body(split, on)
    except ValueError as error:
        raise KstuiError(f"cannot mirror {split.name}", str(error)) from None
    return await send(client, split, body)


async def undo(client: KubeClient, written: Written) -> Written:
    """Set the previous state back, conditional on the state the write left."""
    if written.undo is None:
        raise KstuiError("nothing to undo", "only weights and take-overs are undone")
    if written.undo.weight is not None:
        return await set_weight(client, written.after, written.undo.weight)
    return await set_governor(client, written.after, written.undo.governor or "")


async def offline(client: KubeClient, split: Split) -> list[str]:
    """§5.3: refused unless a version governs (or Mirror); then DELETE the loser's Deployment,
    then the Strategy (preconditioned on its resourceVersion). Returns what was deleted."""
    if refusal := offline_refusal(split):
        raise KstuiError(f"cannot offline {split.name}", refusal)
    await may(client, "delete", split)
    await may(client, "delete", split, "deployments")
    current = await read_split(client, split)
    if current is None or current.resource_version != split.resource_version:
        raise Changed(split, current, differences(split, current) if current else [])
    obj = await client.get(object_path(split))
    loser = offline_loser(split)
    named = "new" if loser == split.new else "old"
    deployment = annotations_of(obj).get(
        f"servicemesh.kubesphere.io/{named}WorkloadName", f"{split.host}-{loser}"
    )
    deleted = []
    path = f"/apis/apps/v1/namespaces/{split.namespace}/deployments/{deployment}"
    try:
        await client.delete(path)
        deleted.append(f"Deployment {deployment}")
    except NotFound:
        pass
    try:
        await client.request(
            "DELETE",
            object_path(split),
            body={
                "kind": "DeleteOptions",
                "apiVersion": "v1",
                "preconditions": {"resourceVersion": split.resource_version},
            },
        )
    except Conflict:
        after = await read_split(client, split)
        raise Changed(split, after, differences(split, after) if after else []) from None
    deleted.append(f"Strategy {split.name}")
    return deleted


async def prerequisites(
    client: KubeClient, namespace: str, service: str
) -> tuple[list[str], dict[str, Any] | None, dict[str, Any]]:
    """(unmet §5.1 prerequisites, the Service, its versions' Deployments by version)."""
    try:
        svc = await client.get(f"/api/v1/namespaces/{namespace}/services/{service}")
    except NotFound:
        svc = None
    deployments = items(await client.list(f"/apis/apps/v1/namespaces/{namespace}/deployments"))
    try:
        strategies = items(await client.list(strategy_path(namespace)))
    except NotFound:
        return ["the Strategy CRD (servicemesh.kubesphere.io) is not served here"], svc, {}
    problems = unmet(svc, deployments, strategies)
    return problems, svc, dict(versions_of(svc, deployments)) if svc else {}


async def create(client: KubeClient, form: NewStrategy, creator: str) -> tuple[dict[str, Any], str]:
    """§5.3's POST, after §5.1's prerequisites (the failing ones named, nothing sent); the
    Strategy as created, and a warning if its matchers were pruned."""
    allowed, reason = await client.can_i(
        "create", "strategies", group=STRATEGY_GROUP, namespace=form.namespace
    )
    if not allowed:
        raise NotAllowed(
            f"you may not create strategies in {form.namespace} (RBAC): nothing was sent", reason
        )
    problems, svc, deployments = await prerequisites(client, form.namespace, form.service)
    if problems or svc is None:
        raise Unmet(problems or ["no such Service"])
    for version in (form.old, form.new):
        if version not in deployments:
            raise Unmet([f"Service {form.service} has no version {version!r}"])
    ports = (svc.get("spec") or {}).get("ports") or [{}]
    if port_protocol(str(ports[0].get("name") or "")) == "tcp" and form.type in (
        StrategyType.MIRROR,
        StrategyType.CONTENT,
    ):
        port = ports[0].get("name")
        raise Unmet([f"Service {form.service} is TCP (port {port!r}): {form.type} needs HTTP"])
    body = strategy_body(form, svc, deployments, creator)
    answer = dict(await client.create(strategy_path(form.namespace), body))
    return answer, pruned_matchers(answer)


def pruned_matchers(strategy: dict[str, Any]) -> str:
    """§5.2: a content rule read back with an empty matcher means the cluster carries the
    snake_case Strategy schema, which prunes it ("" when the matchers came back)."""
    template = ((strategy.get("spec") or {}).get("template") or {}).get("spec") or {}
    for rule in template.get("http") or []:
        for item in rule.get("match") or []:
            for header, matcher in (item.get("headers") or {}).items():
                if not matcher:
                    return (
                        f"the cluster pruned the {header} matcher (snake_case Strategy schema, "
                        "API.md §9.1): this rule matches every request"
                    )
    return ""


__all__ = ["STRATEGY_API", "Changed", "NotAllowed", "Unmet", "Written"]
