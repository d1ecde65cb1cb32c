"""Helm release Secrets decoded from payloads made here, by an encoder of the test's own
(base64 twice, then gzip, as Helm and the Secret encoding do; old payloads plain JSON)."""

from __future__ import annotations

import base64
import gzip
import io
import json
from dataclasses import replace
from typing import Any

from kstui.backends.helm_releases import (
    decode_secret,
    group,
    helm_timestamp,
    parse_secret_name,
)
from kstui.backends.helm_service import SecretRef, newest
from kstui.backends.helm_text import diff_text, manifest_text, values_text
from kstui.model import Tone


def gzipped(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=1_700_000_000) as stream:
        stream.write(data)
    return out.getvalue()


def secret_of(release: dict[str, Any], *, compress: bool = True, status: str = "") -> dict:
    body = json.dumps(release).encode()
    helm = base64.b64encode(gzipped(body) if compress else body)  # Helm's own base64
    name, revision = release["name"], release["version"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{revision}",
            "namespace": release["namespace"],
            "labels": {
                "owner": "helm",
                "name": name,
                "status": status or release["info"]["status"],
                "version": str(revision),
            },
        },
        "data": {"release": base64.b64encode(helm).decode()},  # the Secret's base64
    }


def release(revision: int, status: str, replicas: int, chart_version: str = "1.2.0") -> dict:
    return {
        "name": "shop.api",  # dots are allowed in release names
        "namespace": "shop",
        "version": revision,
        "info": {
            "first_deployed": "2025-05-01T10:00:00.123456789+02:00",
            "last_deployed": f"2025-05-0{revision}T08:30:00.5Z",
            "deleted": "",
            "description": "Upgrade complete" if revision > 1 else "Install complete",
            "status": status,
            "notes": "visit http://shop.example",
        },
        "chart": {
            "metadata": {"name": "api", "version": chart_version, "appVersion": "2.0"},
            "values": {"replicaCount": 1, "token": ""},
            "templates": [],
        },
        "config": {"replicaCount": replicas, "token": "tok-123\nline2"},
        "manifest": f"kind: Deployment\nspec:\n  replicas: {replicas}\n",
    }


def test_a_gzipped_payload_gives_every_field() -> None:
    got = decode_secret(secret_of(release(2, "deployed", 3)))
    assert got.error == ""
    assert (got.release, got.namespace, got.revision, got.status) == (
        "shop.api",
        "shop",
        2,
        "deployed",
    )
    assert (got.chart, got.chart_version, got.chart_label, got.app_version) == (
        "api",
        "1.2.0",
        "api-1.2.0",
        "2.0",
    )
    assert got.first_deployed == "2025-05-01T08:00:00Z"
    assert got.last_deployed == "2025-05-02T08:30:00Z"
    assert got.description == "Upgrade complete"
    assert got.values == {"replicaCount": 3, "token": "tok-123\nline2"}
    assert got.chart_values == {"replicaCount": 1, "token": ""}
    assert got.notes == "visit http://shop.example"
    assert "replicas: 3" in got.manifest
    assert got.secret == "sh.helm.release.v1.shop.api.v2"


def test_an_old_plain_json_payload_decodes_too() -> None:
    got = decode_secret(secret_of(release(1, "superseded", 1), compress=False))
    assert (got.error, got.revision, got.status, got.chart_label) == (
        "",
        1,
        "superseded",
        "api-1.2.0",
    )
    assert got.tone is Tone.MUTED


def test_a_broken_payload_says_which_secret_and_why() -> None:
    broken = secret_of(release(4, "failed", 1))
    broken["data"]["release"] = base64.b64encode(b"H4sIAAAA!!!").decode()
    got = decode_secret(broken)
    assert got.error.startswith("cannot read Secret shop/sh.helm.release.v1.shop.api.v4: ")
    assert (got.release, got.revision, got.status, got.tone) == (
        "shop.api",
        4,
        "failed",
        Tone.ERROR,
    )
    truncated = secret_of(release(5, "deployed", 1))
    helm = base64.b64decode(truncated["data"]["release"])
    raw = base64.b64decode(helm)[:20]  # gzip cut short
    truncated["data"]["release"] = base64.b64encode(base64.b64encode(raw)).decode()
    assert "broken gzip" in decode_secret(truncated).error
    assert "no data.release" in decode_secret({"metadata": {"name": "x"}}).error


def test_a_history_groups_into_one_release_oldest_first() -> None:
    secrets = [
        secret_of(release(3, "deployed", 3, "1.3.0")),
        secret_of(release(1, "superseded", 1), compress=False),
        secret_of(release(2, "superseded", 2)),
    ]
    (found,) = group(decode_secret(s) for s in secrets)
    assert [(r.revision, r.status) for r in found.history] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "deployed"),
    ]
    assert found.latest.chart_label == "api-1.3.0"
    previous = found.previous(3)
    assert previous is not None
    assert previous.revision == 2
    assert found.previous(1) is None
    refs = [SecretRef("shop", s["metadata"]["name"], str(i)) for i, s in enumerate(secrets)] + [
        SecretRef("shop", "not-a-release", "9")
    ]
    assert newest(refs) == {("shop", "shop.api"): refs[0]}


def test_names_and_times() -> None:
    assert parse_secret_name("sh.helm.release.v1.a.b.v12") == ("a.b", 12)
    assert parse_secret_name("sh.helm.release.v1.web") is None
    assert helm_timestamp("0001-01-01T00:00:00Z") == ""
    assert helm_timestamp("2024-02-29T23:59:59.999999999-01:00") == "2024-03-01T00:59:59Z"


def test_values_are_hidden_until_revealed_and_the_diff_shows_what_changed() -> None:
    before = decode_secret(secret_of(release(1, "superseded", 1)))
    after = decode_secret(secret_of(release(2, "deployed", 3)))
    hidden = values_text(after, revealed=False)
    assert "tok-123" not in hidden
    assert "replicaCount: <hidden: 1 bytes>" in hidden
    shown = values_text(after, revealed=True)
    assert 'token: "tok-123\\nline2"' in shown
    assert "replicaCount: 3" in shown
    assert "# chart default values (api-1.2.0)" in shown
    masked = diff_text(before, after, revealed=False)
    assert "-replicaCount: <hidden: 1 bytes>\n+replicaCount: <hidden: 1 bytes>\n" in masked
    assert "tok-123" not in masked.split("# manifest")[0]
    revealed = diff_text(before, after, revealed=True)
    assert "-replicaCount: 1\n+replicaCount: 3\n" in revealed
    assert "-  replicas: 1\n+  replicas: 3\n" in revealed
    assert " token:" in revealed  # context line: unchanged


MANIFEST = """\
---
# Source: app/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: app-auth
  labels:
    tier: db
stringData:
  password: {password}
  config.ini: |
    [db]
    password = {password}
data: {{token: dG9r}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  colour: red
"""


def test_a_manifest_hides_its_secrets_values_line_for_line() -> None:
    real = MANIFEST.format(password="pw-1")
    shown = manifest_text(real, revealed=False)
    assert "pw-1" not in shown
    assert "dG9r" not in shown
    assert len(shown.splitlines()) == len(real.splitlines())
    assert "  password: <hidden: 4 bytes>\n" in shown
    assert "  config.ini: |\n    <hidden: 4 bytes>\n    <hidden: 15 bytes>\n" in shown
    assert "data: <hidden: 13 bytes>\n" in shown
    assert "    tier: db\n" in shown  # metadata stays
    assert "  colour: red\n" in shown  # a ConfigMap's data stays
    assert manifest_text(real, revealed=True) == real


def test_a_manifest_diff_shows_the_changed_secret_line_hidden() -> None:
    before = decode_secret(secret_of(release(1, "superseded", 1)))
    after = decode_secret(secret_of(release(2, "deployed", 1)))
    before = replace(before, manifest=MANIFEST.format(password="pw-1"))
    after = replace(after, manifest=MANIFEST.format(password="pw-2"))
    masked = diff_text(before, after, revealed=False)
    assert "pw-" not in masked
    assert "-  password: <hidden: 4 bytes>\n+  password: <hidden: 4 bytes>\n" in masked
    assert "-    <hidden: 15 bytes>\n+    <hidden: 15 bytes>\n" in masked
    assert "# user-supplied values\n(no change)\n" in masked
    revealed = diff_text(before, after, revealed=True)
    assert "-  password: pw-1\n+  password: pw-2\n" in revealed
