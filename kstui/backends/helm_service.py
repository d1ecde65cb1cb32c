"""HelmReleases: the Apps section's service for Helm releases on any cluster (API.md §7.2).

The release list follows the watch cache of `secrets -l owner=helm` (rows only: names tell the
release and revision); the newest revision of each release is fetched and decoded once per
resourceVersion. A release's history is one list of its Secrets. Read-only: kstui writes no
release Secret (installing and upgrading are Helm's, or KubeSphere's controller's, to do).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from kstui.backends.helm_releases import (
    SELECTOR,
    Release,
    Revision,
    decode_secret,
    group,
    parse_secret_name,
)

if TYPE_CHECKING:
    from kstui.backends.backend import Backend
    from kstui.backends.session import Session

READ_ONLY_NOTE = "Helm releases (read-only: read from Helm's release Secrets)"
KEEP_DECODED = 2_000
"""Decoded revisions kept (by resourceVersion): a release's manifest can be large."""


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A release Secret as the watch cache lists it."""

    namespace: str
    name: str
    resource_version: str


def secrets_path(namespace: str) -> str:
    if namespace:
        return f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets"
    return "/api/v1/secrets"


def newest(refs: Iterable[SecretRef]) -> dict[tuple[str, str], SecretRef]:
    """(namespace, release) → the Secret of its highest revision."""
    best: dict[tuple[str, str], tuple[int, SecretRef]] = {}
    for ref in refs:
        parsed = parse_secret_name(ref.name)
        if parsed is None:
            continue
        release, number = parsed
        key = (ref.namespace, release)
        if key not in best or best[key][0] < number:
            best[key] = (number, ref)
    return {key: ref for key, (_number, ref) in best.items()}


class HelmReleases:
    """Reads and decodes release Secrets through the session's backends."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._decoded: OrderedDict[tuple[str, str, str, str], Revision] = OrderedDict()

    def backend(self, context: str | None = None) -> Backend:
        return self.session.backend(context)

    async def revision(self, context: str, ref: SecretRef) -> Revision:
        """The revision a Secret holds (decoded once per resourceVersion)."""
        key = (context, ref.namespace, ref.name, ref.resource_version)
        if key in self._decoded:
            self._decoded.move_to_end(key)
            return self._decoded[key]
        client = await self.backend(context).open()
        secret = await client.get(f"{secrets_path(ref.namespace)}/{quote(ref.name, safe='')}")
        decoded = decode_secret(secret)
        self._decoded[key] = decoded
        while len(self._decoded) > KEEP_DECODED:
            self._decoded.popitem(last=False)
        return decoded

    async def release(self, context: str, namespace: str, name: str) -> Release:
        """Every revision Helm keeps of one release (one list call)."""
        client = await self.backend(context).open()
        listed = await client.list(
            secrets_path(namespace), {"labelSelector": f"{SELECTOR},name={name}"}
        )
        revisions = [decode_secret(item) for item in listed.get("items") or ()]
        found = [r for r in group(revisions) if r.name == name and r.namespace == namespace]
        if not found:
            return Release(name, namespace, ())
        return found[0]
