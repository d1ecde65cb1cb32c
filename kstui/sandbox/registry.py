"""Which kinds one sandbox cluster serves right now: the built-ins plus every established CRD."""

from __future__ import annotations

from typing import Any

from kstui.sandbox.kinds import BUILTIN_KINDS, GROUP_ORDER, ResourceKind, kinds_from_crd


class KindRegistry:
    def __init__(self, builtins: tuple[ResourceKind, ...] = BUILTIN_KINDS) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceKind] = {}
        self._crd_kinds: dict[str, list[ResourceKind]] = {}
        self._group_order: list[str] = list(GROUP_ORDER)
        for kind in builtins:
            self._add(kind)
        self.generation = 0
        """Bumped whenever the set of kinds changes, so discovery answers can be cached."""

    def _add(self, kind: ResourceKind) -> None:
        self._by_gvr[(kind.group, kind.version, kind.plural)] = kind
        if kind.group not in self._group_order:
            self._group_order.append(kind.group)

    def add_crd(self, crd: dict[str, Any]) -> list[ResourceKind]:
        name = crd["metadata"]["name"]
        self.remove_crd(name)
        kinds = kinds_from_crd(crd)
        for kind in kinds:
            self._add(kind)
        self._crd_kinds[name] = kinds
        self.generation += 1
        return kinds

    def remove_crd(self, name: str) -> None:
        for kind in self._crd_kinds.pop(name, []):
            self._by_gvr.pop((kind.group, kind.version, kind.plural), None)
        self.generation += 1

    def lookup(self, group: str, version: str, plural: str) -> ResourceKind | None:
        return self._by_gvr.get((group, version, plural))

    def storage_kind(self, storage_key: tuple[str, str]) -> ResourceKind | None:
        """The kind at its storage version, for controllers and the garbage collector."""
        candidates = [k for k in self._by_gvr.values() if k.storage_key == storage_key]
        for kind in candidates:
            if kind.version == kind.storage_version:
                return kind
        return candidates[0] if candidates else None

    def by_kind(self, api_version: str, kind_name: str) -> ResourceKind | None:
        group, _, version = api_version.rpartition("/")
        for kind in self._by_gvr.values():
            if kind.group == group and kind.version == version and kind.kind == kind_name:
                return kind
        return None

    def served_versions(self, group: str) -> list[str]:
        versions = {k.version for k in self._by_gvr.values() if k.group == group}
        return sorted(versions, key=_version_priority)

    def groups(self) -> list[str]:
        present = {k.group for k in self._by_gvr.values()}
        return [g for g in self._group_order if g in present]

    def kinds_in(self, group: str, version: str) -> list[ResourceKind]:
        return [k for k in self._by_gvr.values() if k.group == group and k.version == version]

    def has_group_version(self, group: str, version: str) -> bool:
        return any(k.group == group and k.version == version for k in self._by_gvr.values())

    def all(self) -> list[ResourceKind]:
        return list(self._by_gvr.values())


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA before beta before alpha, higher numbers first."""
    import re

    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0))
