"""Helm's newest revision of each release in one namespace, read from the labels of its release
Secrets (API.md §7.2: `owner=helm`, `name=<release>`, `version=<N>`, `status=<s>`): one list per
namespace, asked for as metadata only, so the Secrets' data (each revision's chart, values and
manifest) is never sent. A namespace that cannot be read says why, for its REV cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kstui.backends.errors import Forbidden, KstuiError
from kstui.backends.helm_releases import SELECTOR, parse_secret_name
from kstui.backends.kube_wire import METADATA_ACCEPT

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient


@dataclass(frozen=True, slots=True)
class HelmRevisions:
    """What one namespace's release Secrets say."""

    newest: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    """release → (its highest revision, that revision's status)."""
    error: str = ""
    """Why they could not be read ("" when they were)."""

    def number(self, release: str) -> int:
        """The release's newest revision; 0 when Helm keeps none of it here."""
        return self.newest.get(release, (0, ""))[0]


def why(error: KstuiError) -> str:
    """A failed read in a few words: `forbidden: alice cannot list secrets in namespace x`."""
    return error.denied if isinstance(error, Forbidden) else error.title


def newest_revisions(items: Iterable[Mapping[str, Any]]) -> dict[str, tuple[int, str]]:
    """release → (highest revision, its status), from the Secrets' labels (their names when a
    label is missing)."""
    best: dict[str, tuple[int, str]] = {}
    for item in items:
        meta = item.get("metadata") or {}
        labels = meta.get("labels") or {}
        parsed = parse_secret_name(str(meta.get("name") or ""))
        name = str(labels.get("name") or (parsed[0] if parsed else ""))
        version = str(labels.get("version") or "")
        number = int(version) if version.isdigit() else parsed[1] if parsed else 0
        if name and number > 0 and number > best.get(name, (0, ""))[0]:
            best[name] = (number, str(labels.get("status") or ""))
    return best


async def read_revisions(client: KubeClient, namespace: str, release: str = "") -> HelmRevisions:
    """One list of the namespace's release Secrets (of one release, when named)."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets"
    selector = SELECTOR + (f",name={release}" if release else "")
    try:
        listed = await client.list(path, {"labelSelector": selector}, accept=METADATA_ACCEPT)
    except KstuiError as error:
        return HelmRevisions(error=why(error))
    return HelmRevisions(newest_revisions(listed.get("items") or ()))
