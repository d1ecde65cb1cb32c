"""What real Helm 3 and Helm 4 write, kstui reads: `helm install` then `helm upgrade` of a tiny
chart against the sandbox, then the release decoded by kstui's backend from the Secrets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kstui.backends.backend import BackendSettings
from kstui.backends.helm_releases import decode_secret
from kstui.backends.helm_service import HelmReleases, SecretRef
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.session import Session
from tests.conftest import RunningSandbox
from tests.sandbox.test_helm import helm, helm_major, namespace  # noqa: F401  (fixtures)

pytestmark = pytest.mark.kubectl

TINY_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: tiny\nversion: 0.3.1\nappVersion: '5.6'\n",
    "values.yaml": "colour: blue\nsize: 1\n",
    "templates/NOTES.txt": "tiny {{ .Release.Name }} is {{ .Values.colour }}\n",
    "templates/configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-tiny\n"
        "data:\n  colour: {{ .Values.colour | quote }}\n"
    ),
}


async def test_kstui_decodes_what_real_helm_wrote(
    helm: Callable[..., Any],  # noqa: F811
    helm_major: int,  # noqa: F811
    sandbox: RunningSandbox,
    tmp_path: Path,
) -> None:
    chart = tmp_path / "tiny"
    for name, text in TINY_CHART.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    ns = namespace(sandbox, f"kstui-helm{helm_major}")
    helm("install", "paint", str(chart), "-n", ns, "--set", "colour=red")
    helm("upgrade", "paint", str(chart), "-n", ns, "--set", "colour=green", "--set", "size=2")
    session = Session(
        load_kubeconfig(str(sandbox.kubeconfig)),
        "host",
        ns,
        settings=BackendSettings(cache_dir=tmp_path / "cache"),
    )
    try:
        release = await HelmReleases(session).release("host", ns, "paint")
        client = await session.backend("host").open()
        secret = await client.get(f"/api/v1/namespaces/{ns}/secrets/sh.helm.release.v1.paint.v2")
        newest = await HelmReleases(session).revision(
            "host",
            SecretRef(ns, secret["metadata"]["name"], secret["metadata"]["resourceVersion"]),
        )
    finally:
        await session.aclose()
    assert [(r.revision, r.status, r.error) for r in release.history] == [
        (1, "superseded", ""),
        (2, "deployed", ""),
    ]
    latest = release.latest
    assert latest == newest == decode_secret(secret)
    assert (latest.release, latest.namespace, latest.chart_label, latest.app_version) == (
        "paint",
        ns,
        "tiny-0.3.1",
        "5.6",
    )
    assert latest.values == {"colour": "green", "size": 2}
    assert release.history[0].values == {"colour": "red"}
    assert latest.chart_values == {"colour": "blue", "size": 1}
    assert latest.description == "Upgrade complete"
    assert latest.notes.strip() == "tiny paint is green"
    assert "name: paint-tiny" in latest.manifest
    assert 'colour: "green"' in latest.manifest
    assert latest.first_deployed
    assert latest.last_deployed >= latest.first_deployed
