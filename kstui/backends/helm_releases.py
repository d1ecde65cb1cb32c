"""Helm releases as Helm 3 and 4 store them (API.md §7.2), decoded from their Secrets. Pure.

Each revision is a Secret `sh.helm.release.v1.<release>.v<revision>` of type
`helm.sh/release.v1`, labelled owner=helm, name, status and version. Its `data.release` is
base64 (the Secret encoding) of base64 (Helm's) of gzip of the release JSON; very old
payloads are plain JSON without the gzip. A payload that cannot be decoded becomes a revision
that says why (its name and labels still tell which release it is), never an exception.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kstui.model import Tone

SECRET_TYPE = "helm.sh/release.v1"
SECRET_PREFIX = "sh.helm.release.v1."
SELECTOR = "owner=helm"
GZIP_MAGIC = b"\x1f\x8b"
_NAME = re.compile(r"^sh\.helm\.release\.v1\.(?P<release>.+)\.v(?P<revision>[0-9]+)$")


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of one release, as Helm stored it."""

    release: str
    namespace: str
    revision: int
    secret: str
    """The Secret it was read from."""
    status: str = ""
    chart: str = ""
    chart_version: str = ""
    app_version: str = ""
    first_deployed: str = ""
    """RFC 3339, UTC, whole seconds ("" when Helm left it empty)."""
    last_deployed: str = ""
    description: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    """The user-supplied values (Helm's `config`)."""
    chart_values: Mapping[str, Any] = field(default_factory=dict)
    """The chart's default values."""
    notes: str = ""
    manifest: str = ""
    error: str = ""
    """Why the payload could not be read ("" when it could)."""

    @property
    def chart_label(self) -> str:
        """`redis-20.1.3`, as `helm list` names a chart."""
        if not self.chart:
            return ""
        return f"{self.chart}-{self.chart_version}" if self.chart_version else self.chart

    @property
    def tone(self) -> Tone:
        return status_tone(self.status, self.error)

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.release} revision {self.revision}"


@dataclass(frozen=True, slots=True)
class Release:
    """A release: its revisions, oldest first."""

    name: str
    namespace: str
    history: tuple[Revision, ...]

    @property
    def latest(self) -> Revision:
        return self.history[-1]

    def previous(self, revision: int) -> Revision | None:
        """The revision kept just before `revision` (Helm prunes old ones: not always n-1)."""
        older = [r for r in self.history if r.revision < revision]
        return older[-1] if older else None

    def revision(self, number: int) -> Revision | None:
        return next((r for r in self.history if r.revision == number), None)


def status_tone(status: str, error: str = "") -> Tone:
    if error or status == "failed":
        return Tone.ERROR
    if status.startswith("pending-") or status == "uninstalling":
        return Tone.WARN
    if status in ("superseded", "uninstalled"):
        return Tone.MUTED
    return Tone.NORMAL


def parse_secret_name(name: str) -> tuple[str, int] | None:
    """(release, revision) of a release Secret's name; None for any other name."""
    match = _NAME.match(name)
    if match is None:
        return None
    return match["release"], int(match["revision"])


def helm_timestamp(value: Any) -> str:
    """Go's RFC 3339 with nanoseconds and any offset → RFC 3339 UTC in whole seconds."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return ""
    text = re.sub(r"(\.\d+)", "", value.strip()).replace("Z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_payload(helm_encoded: str | bytes) -> dict[str, Any]:
    """Helm's own encoding (the Secret's base64 already undone): base64 of gzip of JSON, or
    of plain JSON for very old releases. Raises ValueError with what went wrong."""
    try:
        raw = base64.b64decode(helm_encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not base64 inside: {error}") from None
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"broken gzip: {error}") from None
    try:
        release = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(release, dict):
        raise ValueError("not a release object")
    return release


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def decode_secret(secret: Mapping[str, Any]) -> Revision:
    """One release Secret (as the API returns it) → its Revision; never raises."""
    meta = _mapping(secret.get("metadata"))
    labels = _mapping(meta.get("labels"))
    name, namespace = _text(meta.get("name")), _text(meta.get("namespace"))
    parsed = parse_secret_name(name)
    release, number = parsed if parsed is not None else (_text(labels.get("name")), 0)
    if not number:
        try:
            number = int(_text(labels.get("version")) or 0)
        except ValueError:
            number = 0
    base = Revision(release, namespace, number, name, status=_text(labels.get("status")))
    encoded = _mapping(secret.get("data")).get("release")
    if not isinstance(encoded, str) or not encoded:
        return _failed(base, "no data.release")
    try:
        helm_encoded = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return _failed(base, "data.release is not base64")
    try:
        payload = decode_payload(helm_encoded)
    except ValueError as error:
        return _failed(base, str(error))
    return from_release_json(payload, base)


def _failed(base: Revision, why: str) -> Revision:
    return Revision(
        base.release,
        base.namespace,
        base.revision,
        base.secret,
        status=base.status,
        error=f"cannot read Secret {base.namespace}/{base.secret}: {why}",
    )


def from_release_json(payload: Mapping[str, Any], base: Revision) -> Revision:
    """The fields kstui shows, from Helm's release JSON (`base`: what the Secret said)."""
    info = _mapping(payload.get("info"))
    chart = _mapping(payload.get("chart"))
    metadata = _mapping(chart.get("metadata"))
    version = payload.get("version")
    return Revision(
        _text(payload.get("name")) or base.release,
        _text(payload.get("namespace")) or base.namespace,
        version if isinstance(version, int) and version > 0 else base.revision,
        base.secret,
        status=_text(info.get("status")) or base.status,
        chart=_text(metadata.get("name")),
        chart_version=_text(metadata.get("version")),
        app_version=_text(metadata.get("appVersion")),
        first_deployed=helm_timestamp(info.get("first_deployed")),
        last_deployed=helm_timestamp(info.get("last_deployed")),
        description=_text(info.get("description")),
        values=_mapping(payload.get("config")),
        chart_values=_mapping(chart.get("values")),
        notes=_text(info.get("notes")),
        manifest=_text(payload.get("manifest")),
    )


def group(revisions: Iterable[Revision]) -> list[Release]:
    """Revisions → releases (by namespace and name), each history oldest first."""
    by_release: dict[tuple[str, str], list[Revision]] = {}
    for revision in revisions:
        by_release.setdefault((revision.namespace, revision.release), []).append(revision)
    return [
        Release(name, namespace, tuple(sorted(found, key=lambda r: r.revision)))
        for (namespace, name), found in sorted(by_release.items())
    ]


def history_line(revision: Revision) -> tuple[str, ...]:
    """A history row's cells: REVISION, STATUS, CHART, APP VERSION, DESCRIPTION, UPDATED."""
    return (
        str(revision.revision),
        revision.status or "unknown",
        revision.chart_label,
        revision.app_version,
        revision.error or revision.description,
        revision.last_deployed,
    )
