"""Conformance: real Helm 4 and Helm 3 against the sandbox, on a chart the test writes
(Deployment, Service, ConfigMap, a values schema and a post-install/upgrade hook Job).

Helm keeps each release in a Secret it writes as protobuf, so these also check the sandbox's
protobuf request bodies (and DeleteOptions on uninstall).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import realclients
from tests.conftest import RunningSandbox

pytestmark = pytest.mark.kubectl
SECRETS = ("", "secrets")

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: shopfront\nversion: 0.1.0\nappVersion: '1.0'\n",
    "values.yaml": "replicaCount: 2\nimage: nginx:1.27\ngreeting: hello\n",
    "values.schema.json": json.dumps(
        {
            "$schema": "https://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["replicaCount", "image", "greeting"],
            "properties": {
                "replicaCount": {"type": "integer", "minimum": 1},
                "image": {"type": "string"},
                "greeting": {"type": "string"},
            },
        }
    ),
    "templates/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
  labels: {app.kubernetes.io/name: shopfront, app.kubernetes.io/instance: {{ .Release.Name }}}
data:
  greeting: {{ .Values.greeting | quote }}
  {{- with (lookup "v1" "Namespace" "" .Release.Namespace) }}
  namespaceUID: {{ .metadata.uid | quote }}
  {{- end }}
""",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    app.kubernetes.io/name: shopfront
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/name: shopfront
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels: {app.kubernetes.io/name: shopfront, app.kubernetes.io/instance: {{ .Release.Name }}}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
        ports: [{containerPort: 80}]
""",
    "templates/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
  labels: {app.kubernetes.io/name: shopfront, app.kubernetes.io/instance: {{ .Release.Name }}}
spec:
  selector: {app.kubernetes.io/name: shopfront, app.kubernetes.io/instance: {{ .Release.Name }}}
  ports: [{port: 80, targetPort: 80}]
""",
    "templates/migrate-job.yaml": """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    helm.sh/hook: post-install,post-upgrade
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox:1.36
        command: ["true"]
""",
}


@pytest.fixture(params=realclients.HELM_MAJORS, ids=lambda m: f"helm{m}")
def helm_major(request: pytest.FixtureRequest) -> int:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def helm(helm_major: int, sandbox: RunningSandbox, tmp_path: Path) -> Callable[..., Any]:
    """Run this Helm with its own homes in tmp and the sandbox's kubeconfig, nothing else."""
    binary = realclients.helm(helm_major)
    home = tmp_path / "home"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KUBE", "HELM_"))
        and k not in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")
    }
    env.update(
        {
            "KUBECONFIG": str(sandbox.kubeconfig),
            "HOME": str(home),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }
    )

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [binary, *args], env=env, capture_output=True, text=True, timeout=180, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    return run


@pytest.fixture
def chart(tmp_path: Path) -> str:
    root = tmp_path / "shopfront"
    for name, text in CHART.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return str(root)


def namespace(sandbox: RunningSandbox, name: str) -> str:
    cluster = sandbox.cluster()
    kind = cluster.registry.lookup("", "v1", "namespaces")
    if sandbox.stored(("", "namespaces"), "", name) is None:
        sandbox.call(
            cluster.create,
            kind,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        )
    return name


def release_secrets(sandbox: RunningSandbox, ns: str, release: str) -> dict[str, dict]:
    secrets: list[dict] = sandbox.call(  # type: ignore[assignment]
        lambda: sandbox.cluster().store.objects(SECRETS, ns)
    )
    return {
        s["metadata"]["name"]: s
        for s in secrets
        if s["metadata"]["namespace"] == ns
        and s["metadata"].get("labels", {}).get("owner") == "helm"
        and s["metadata"]["labels"].get("name") == release
    }


def test_list_shows_the_seeded_release(helm: Callable[..., Any], sandbox: RunningSandbox) -> None:
    releases = json.loads(helm("list", "-A", "-o", "json").stdout)
    seeded = next(r for r in releases if r["name"] == "shop-cache")
    assert (seeded["namespace"], seeded["status"], seeded["chart"], seeded["revision"]) == (
        "shop-staging",
        "deployed",
        "redis-20.1.3",
        "1",
    )
    # deployed 39 minutes before the story's now, as the seeds tell it: moved to the sandbox's now
    # (when it was seeded: the shared sandbox may be old by now) like every other seeded time,
    # inside Helm's payload too; kube-system was made 90 days before that now
    updated = datetime.strptime(seeded["updated"][:19] + "+0000", "%Y-%m-%d %H:%M:%S%z")
    system = sandbox.call(
        lambda: sandbox.cluster().store.get(("", "namespaces"), "", "kube-system")
    )
    created = datetime.strptime(system["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%S%z")
    seeded_at = created + timedelta(days=90)
    assert timedelta(minutes=30) < seeded_at - updated < timedelta(minutes=50), seeded["updated"]


def test_get_and_history_of_the_seeded_release(helm: Callable[..., Any]) -> None:
    values = json.loads(
        helm("get", "values", "shop-cache", "-n", "shop-staging", "-o", "json").stdout
    )
    assert values["auth"] == {"enabled": True, "existingSecret": "shop-cache-auth"}
    history = json.loads(helm("history", "shop-cache", "-n", "shop-staging", "-o", "json").stdout)
    assert [(h["revision"], h["status"], h["chart"]) for h in history] == [
        (1, "deployed", "redis-20.1.3")
    ]
    manifest = helm("get", "manifest", "shop-cache", "-n", "shop-staging").stdout
    assert "name: shop-cache-redis-master" in manifest


def test_install_dry_run_server_reads_the_cluster(
    helm: Callable[..., Any], helm_major: int, chart: str, sandbox: RunningSandbox
) -> None:
    ns = namespace(sandbox, f"helm{helm_major}-dry")
    uid = sandbox.stored(("", "namespaces"), "", ns)["metadata"]["uid"]  # type: ignore[index]
    out = helm("install", "dry", chart, "-n", ns, "--dry-run=server").stdout
    assert f'namespaceUID: "{uid}"' in out  # `lookup` went to the server
    assert "kind: Job" in out
    assert "helm.sh/hook: post-install,post-upgrade" in out
    assert sandbox.stored(("", "configmaps"), ns, "dry-config") is None
    assert release_secrets(sandbox, ns, "dry") == {}
    refused = helm(
        "install",
        "dry",
        chart,
        "-n",
        ns,
        "--dry-run=server",
        "--set",
        "replicaCount=0",
        check=False,
    )
    assert refused.returncode == 1
    assert "replicaCount" in refused.stderr  # the values schema, before anything is sent


def test_round_trip(
    helm: Callable[..., Any], helm_major: int, chart: str, sandbox: RunningSandbox
) -> None:
    ns = namespace(sandbox, f"helm{helm_major}-rt")
    helm("install", "shop", chart, "-n", ns, "--wait", "--timeout", "90s")
    [secret] = release_secrets(sandbox, ns, "shop").values()
    assert secret["metadata"]["name"] == "sh.helm.release.v1.shop.v1"
    assert secret["type"] == "helm.sh/release.v1"
    assert secret["metadata"]["labels"]["status"] == "deployed"
    deployment = sandbox.stored(("apps", "deployments"), ns, "shop-web")
    assert deployment is not None
    assert deployment["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-name"] == "shop"
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == ns
    assert deployment["status"]["readyReplicas"] == 2  # --wait waited for the pods
    hook = sandbox.stored(("batch", "jobs"), ns, "shop-migrate")
    assert hook is not None
    assert hook["status"]["succeeded"] == 1
    config = sandbox.stored(("", "configmaps"), ns, "shop-config")
    assert config is not None
    assert config["data"]["greeting"] == "hello"

    helm(
        "upgrade",
        "shop",
        chart,
        "-n",
        ns,
        "--set",
        "greeting=bonjour",
        "--wait",
        "--timeout",
        "90s",
    )
    assert sandbox.stored(("", "configmaps"), ns, "shop-config")["data"]["greeting"] == "bonjour"  # type: ignore[index]
    values = json.loads(helm("get", "values", "shop", "-n", ns, "-o", "json").stdout)
    assert values == {"greeting": "bonjour"}
    assert "name: shop-web" in helm("get", "manifest", "shop", "-n", ns).stdout
    history = json.loads(helm("history", "shop", "-n", ns, "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "deployed")]

    helm("rollback", "shop", "1", "-n", ns, "--wait", "--timeout", "90s")
    assert sandbox.stored(("", "configmaps"), ns, "shop-config")["data"]["greeting"] == "hello"  # type: ignore[index]
    history = json.loads(helm("history", "shop", "-n", ns, "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "deployed"),
    ]
    releases = json.loads(helm("list", "-A", "-o", "json").stdout)
    assert {(r["name"], r["namespace"]) for r in releases} >= {
        ("shop", ns),
        ("shop-cache", "shop-staging"),
    }

    helm("uninstall", "shop", "-n", ns, "--wait", "--timeout", "90s")
    for key, name in (
        (("apps", "deployments"), "shop-web"),
        (("", "services"), "shop-web"),
        (("", "configmaps"), "shop-config"),
    ):
        assert sandbox.stored(key, ns, name) is None, name
    assert release_secrets(sandbox, ns, "shop") == {}
