"""Discovery documents: legacy (/api, /apis, group/version lists) and aggregated (apidiscovery v2).

kubectl is strict here: `/api/v1` must say `groupVersion: v1`, and subresource entries carry an
empty singularName and no shortNames or categories.
"""

from __future__ import annotations

from typing import Any

from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.registry import KindRegistry

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

_SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "log": ["get"],
    "proxy": ["create", "delete", "get", "patch", "update"],
    "exec": ["create", "get"],
    "attach": ["create", "get"],
    "portforward": ["create", "get"],
    "eviction": ["create"],
    "binding": ["create"],
    "finalize": ["update"],
    "token": ["create"],
    "approval": ["get", "patch", "update"],
}
_SUBRESOURCE_KIND = {
    "scale": ("autoscaling", "v1", "Scale"),
    "log": ("", "v1", "Pod"),
    "proxy": ("", "v1", "PodProxyOptions"),
    "exec": ("", "v1", "PodExecOptions"),
    "attach": ("", "v1", "PodAttachOptions"),
    "portforward": ("", "v1", "PodPortForwardOptions"),
    "eviction": ("policy", "v1", "Eviction"),
    "binding": ("", "v1", "Binding"),
    "token": ("authentication.k8s.io", "v1", "TokenRequest"),
}


def _sub_kind(kind: ResourceKind, sub: str) -> tuple[str, str, str]:
    if sub in ("status", "finalize"):
        return (kind.group, kind.version, kind.kind)
    return _SUBRESOURCE_KIND.get(sub, (kind.group, kind.version, kind.kind))


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def resource_list(registry: KindRegistry, group: str, version: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for kind in sorted(registry.kinds_in(group, version), key=lambda k: k.plural):
        entry: dict[str, Any] = {
            "name": kind.plural,
            "singularName": kind.singular,
            "namespaced": kind.namespaced,
            "kind": kind.kind,
            "verbs": list(kind.verbs),
        }
        if kind.short_names:
            entry["shortNames"] = list(kind.short_names)
        if kind.categories:
            entry["categories"] = list(kind.categories)
        if kind.storage_version:
            entry["storageVersionHash"] = _hash(f"{kind.group}/{kind.plural}")
        resources.append(entry)
        for sub in sorted(kind.subresources()):
            sub_group, sub_version, sub_kind = _sub_kind(kind, sub)
            sub_entry: dict[str, Any] = {
                "name": f"{kind.plural}/{sub}",
                "singularName": "",
                "namespaced": kind.namespaced,
                "kind": sub_kind,
                "verbs": _SUBRESOURCE_VERBS.get(sub, ["get"]),
            }
            if sub_group != kind.group or sub_version != kind.version:
                sub_entry["group"] = sub_group
                sub_entry["version"] = sub_version
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _group_version(group, version),
        "resources": resources,
    }


def core_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_entry(registry: KindRegistry, group: str) -> dict[str, Any]:
    versions = registry.served_versions(group)
    entries = [{"groupVersion": _group_version(group, v), "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def group_list(registry: KindRegistry) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(registry, g) for g in registry.groups() if g],
    }


def group(registry: KindRegistry, name: str) -> dict[str, Any] | None:
    if name not in registry.groups():
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(registry, name)}


def aggregated(registry: KindRegistry, core: bool, content_type: str) -> dict[str, Any]:
    """An APIGroupDiscoveryList: every group, version and resource in one answer."""
    api_version = (
        "apidiscovery.k8s.io/v2beta1" if "v2beta1" in content_type else "apidiscovery.k8s.io/v2"
    )
    groups = [""] if core else [g for g in registry.groups() if g]
    items = []
    for group_name in groups:
        versions = []
        for version in registry.served_versions(group_name):
            resources = []
            for kind in sorted(registry.kinds_in(group_name, version), key=lambda k: k.plural):
                resource: dict[str, Any] = {
                    "resource": kind.plural,
                    "responseKind": {
                        "group": kind.group,
                        "version": kind.version,
                        "kind": kind.kind,
                    },
                    "scope": "Namespaced" if kind.namespaced else "Cluster",
                    "singularResource": kind.singular,
                    "verbs": list(kind.verbs),
                }
                if kind.short_names:
                    resource["shortNames"] = list(kind.short_names)
                if kind.categories:
                    resource["categories"] = list(kind.categories)
                subs = []
                for sub in sorted(kind.subresources()):
                    sub_group, sub_version, sub_kind = _sub_kind(kind, sub)
                    subs.append(
                        {
                            "subresource": sub,
                            "responseKind": {
                                "group": sub_group,
                                "version": sub_version,
                                "kind": sub_kind,
                            },
                            "verbs": _SUBRESOURCE_VERBS.get(sub, ["get"]),
                        }
                    )
                if subs:
                    resource["subresources"] = subs
                resources.append(resource)
            versions.append({"version": version, "resources": resources, "freshness": "Current"})
        items.append(
            {"metadata": {"name": group_name, "creationTimestamp": None}, "versions": versions}
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": api_version,
        "metadata": {},
        "items": items,
    }


def wants_aggregated(accept: str) -> str | None:
    """The aggregated content type the client asked for, if it asked for one."""
    for part in accept.split(","):
        part = part.strip().replace(" ", "")
        if "as=APIGroupDiscoveryList" in part and "g=apidiscovery.k8s.io" in part:
            return AGGREGATED_V2BETA1 if "v=v2beta1" in part else AGGREGATED_V2
    return None


def _hash(text: str) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(text.encode()).digest()[:8]).decode()
