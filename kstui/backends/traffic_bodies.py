"""The exact bodies kstui writes for a traffic split (API.md §5.3, §7.4). Pure.

Every body carries `metadata.resourceVersion` of the object as read, so the server answers 409
rather than overwrite someone else's change (§0.5); apart from that it is §5.3's, key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kstui.backends.objects import meta_of
from kstui.backends.traffic_model import (
    STRATEGY_API,
    Body,
    Source,
    Split,
    StrategyType,
    catch_all,
)

# ---------------------------------------------------------------------------- writing


def strategy_path(namespace: str, name: str = "") -> str:
    base = f"/apis/{STRATEGY_API}/namespaces/{namespace}/strategies"
    return f"{base}/{name}" if name else base


def _conditional(body: dict[str, Any], resource_version: str) -> dict[str, Any]:
    if resource_version:
        body["metadata"] = {"resourceVersion": resource_version}
    return body


def weight_route(host: str, old: str, new: str, weight: int, protocol: str) -> dict[str, Any]:
    """§5.3's one rule: old gets 100-N, new gets N (TCP: the rule also has `match: []`)."""
    item: dict[str, Any] = {
        "route": [
            {"destination": {"host": host, "subset": old}, "weight": 100 - weight},
            {"destination": {"host": host, "subset": new}, "weight": weight},
        ]
    }
    if protocol == "tcp":
        item = {"match": [], **item}
    return item


def governor_for(split: Split, weight: int) -> str:
    """§5.3: the new version at 100, the old at 0, else nobody."""
    return split.new if weight == 100 else split.old if weight == 0 else ""


def weights_body(split: Split, weight: int) -> Body:
    """Move the slider to `weight` % (also take over for Canary by weight, §5.3)."""
    if not 0 <= weight <= 100:
        raise ValueError(f"a weight is 0 to 100, not {weight}")
    if split.source is not Source.STRATEGY:
        raise ValueError("a plain route's weights: vs_weights_patch, httproute_weights_patch")
    key = "tcp" if split.protocol == "tcp" else "http"
    body = {
        "spec": {
            "template": {
                "spec": {key: [weight_route(split.host, split.old, split.new, weight, key)]}
            },
            "governor": governor_for(split, weight),
        }
    }
    return Body(
        "PATCH",
        strategy_path(split.namespace, split.name),
        _conditional(body, split.resource_version),
    )


def governor_body(split: Split, version: str) -> Body:
    """Take over (Blue-green, Canary by content, Mirror) with `version`; "" restores."""
    body = {"spec": {"governor": version}}
    return Body(
        "PATCH",
        strategy_path(split.namespace, split.name),
        _conditional(body, split.resource_version),
    )


def mirror_body(split: Split, on: bool) -> Body:
    """Mirroring on: all traffic to the old version, a copy to the new (§5.2's Mirror shape,
    type Mirror). Off: the Canary shape at 0 % with the old version governing (§5.3)."""
    if split.protocol == "tcp":
        raise ValueError("TCP routes cannot mirror (Istio mirrors HTTP only)")
    host = split.host
    if on:
        spec: dict[str, Any] = {
            "type": "Mirror",
            "governor": "",
            "template": {
                "spec": {
                    "http": [
                        {
                            "route": [
                                {"destination": {"host": host, "subset": split.old}, "weight": 100}
                            ],
                            "mirror": {"host": host, "subset": split.new},
                        }
                    ]
                }
            },
        }
    else:
        spec = {
            "type": "Canary",
            "governor": split.old,
            "template": {"spec": {"http": [weight_route(host, split.old, split.new, 0, "http")]}},
        }
    return Body(
        "PATCH",
        strategy_path(split.namespace, split.name),
        _conditional({"spec": spec}, split.resource_version),
    )


def offline_refusal(split: Split) -> str:
    """Why offline is refused ("" when allowed): §5.3, take over first."""
    if split.source is not Source.STRATEGY:
        return "offline ends a grayscale Strategy; this is a plain route"
    if split.governor or split.type is StrategyType.MIRROR:
        return ""
    return "no version has taken over: take over first (t), then offline the other"


def offline_loser(split: Split) -> str:
    """The version offline removes: the one that does not govern (Mirror: the new one)."""
    if split.governor:
        return split.new if split.governor == split.old else split.old
    return split.new


def vs_weights_patch(vs: Mapping[str, Any], old: str, new: str, weight: int) -> dict[str, Any]:
    """§7.4: the VirtualService's whole `http` (or `tcp`) array as read, the catch-all rule's
    weights set, with the resourceVersion (a merge patch replaces arrays)."""
    spec = vs.get("spec") or {}
    key = "tcp" if spec.get("tcp") else "http"
    rules = [dict(rule) for rule in spec.get(key) or []]
    for index, rule in enumerate(rules):
        if not catch_all(rule):
            continue
        route = []
        for destination in rule.get("route") or []:
            subset = (destination.get("destination") or {}).get("subset")
            changed = dict(destination)
            if subset == old:
                changed["weight"] = 100 - weight
            elif subset == new:
                changed["weight"] = weight
            route.append(changed)
        rules[index] = {**rule, "route": route}
        break
    return _conditional({"spec": {key: rules}}, str(meta_of(vs).get("resourceVersion") or ""))


def httproute_weights_patch(
    route: Mapping[str, Any], old: str, new: str, weight: int
) -> dict[str, Any]:
    """The HTTPRoute's whole `rules` array with the split rule's backend weights set."""
    rules = [dict(rule) for rule in (route.get("spec") or {}).get("rules") or []]
    for index, rule in enumerate(rules):
        refs = rule.get("backendRefs") or []
        if len(refs) < 2:
            continue
        changed = []
        for ref in refs:
            ref = dict(ref)
            if ref.get("name") == old:
                ref["weight"] = 100 - weight
            elif ref.get("name") == new:
                ref["weight"] = weight
            changed.append(ref)
        rules[index] = {**rule, "backendRefs": changed}
        break
    return _conditional(
        {"spec": {"rules": rules}}, str(meta_of(route).get("resourceVersion") or "")
    )
