"""Conformance, client 1 of 3: the real kubectl against the sandbox over https with tokens."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests import realclients
from tests.conftest import RunningSandbox

pytestmark = pytest.mark.kubectl


class KubectlEnv(dict[str, str]):
    """The environment for one kubectl binary, and the suffix that keeps its namespaces apart."""

    def __init__(self, env: dict[str, str], binary: str = "kubectl", tag: str = "") -> None:
        super().__init__(env)
        self.binary = binary
        self.tag = tag

    def ns(self, name: str) -> str:
        return name + self.tag


@pytest.fixture(
    params=["path", *realclients.KUBECTL_VERSIONS],
    ids=lambda v: "kubectl" if v == "path" else f"kubectl{v}",
)
def kubectl_env(request: pytest.FixtureRequest, kubectl_env: dict[str, str]) -> KubectlEnv:
    """Each test with the kubectl on PATH (the machine's dispatcher picks one by the server's
    version) and with kubectl 1.35 and 1.32 by absolute path."""
    if request.param == "path":
        return KubectlEnv(kubectl_env)
    return KubectlEnv(
        kubectl_env, realclients.kubectl(request.param), "-v" + request.param.replace(".", "")
    )


def binary_of(env: dict[str, str]) -> str:
    return getattr(env, "binary", "kubectl")


def kubectl(
    env: dict[str, str],
    *args: str,
    check: bool = True,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [binary_of(env), *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def names(output: str) -> list[str]:
    return [line.split()[0] for line in output.strip().splitlines() if line.strip()]


def test_get_pods_all_namespaces(kubectl_env: KubectlEnv, sandbox: RunningSandbox) -> None:
    out = kubectl(kubectl_env, "get", "pods", "-A", "--no-headers").stdout
    rows = [line.split() for line in out.strip().splitlines()]
    expected = len(sandbox.call(lambda: sandbox.cluster().store.bucket(("", "pods"))))
    assert len(rows) == expected > 120
    statuses = {row[3] for row in rows}
    assert "Running" in statuses
    assert "CrashLoopBackOff" in statuses  # the seeded shop-worker pod
    worker = next(row for row in rows if row[1].startswith("shop-worker-"))
    assert worker[0] == "shop-prod"
    assert worker[2] == "0/1"


def test_label_and_field_selectors(kubectl_env: KubectlEnv) -> None:
    out = kubectl(
        kubectl_env, "get", "pods", "-n", "shop-prod", "-l", "app=reviews", "-o", "name"
    ).stdout
    assert sorted(out.split()) == [
        "pod/reviews-v1-5d8c9f7b6c-2xk7p",
        "pod/reviews-v1-5d8c9f7b6c-q9w4m",
        "pod/reviews-v2-6f4b8d9c7d-lm3zt",
    ]
    out = kubectl(
        kubectl_env, "get", "pods", "-n", "shop-prod", "-l", "app=reviews,version!=v1", "-o", "name"
    ).stdout
    assert out.split() == ["pod/reviews-v2-6f4b8d9c7d-lm3zt"]
    out = kubectl(
        kubectl_env, "get", "pods", "-A", "--field-selector", "status.phase=Pending", "-o", "name"
    ).stdout
    pending = out.split()
    assert pending
    assert all(p.startswith("pod/") for p in pending)
    everything = kubectl(kubectl_env, "get", "pods", "-A", "-o", "name").stdout.split()
    assert set(pending) < set(everything)
    bad = kubectl(kubectl_env, "get", "pods", "--field-selector", "spec.bogus=1", check=False)
    assert bad.returncode != 0
    assert "field label not supported" in bad.stderr


def test_chunked_list_matches_unchunked(kubectl_env: KubectlEnv) -> None:
    whole = kubectl(kubectl_env, "get", "pods", "-A", "-o", "name", "--chunk-size=0").stdout
    paged = kubectl(kubectl_env, "get", "pods", "-A", "-o", "name", "--chunk-size=7").stdout
    assert whole.split() == paged.split()
    assert len(whole.split()) > 100


def test_namespaces_and_kubesphere_kinds(kubectl_env: KubectlEnv) -> None:
    out = kubectl(kubectl_env, "get", "ns", "--no-headers").stdout
    assert {"default", "kube-system", "kube-public", "shop-prod", "payments"} <= set(names(out))
    out = kubectl(kubectl_env, "get", "workspacetemplates").stdout
    assert {"acme-retail", "beta-labs"} <= set(names(out)[1:])  # other modules add more
    out = kubectl(kubectl_env, "get", "pipelineruns", "-n", "shop-cicdr7x2k").stdout
    header = out.splitlines()[0].split()
    assert header == ["NAME", "ID", "PHASE", "AGE"]  # CRD printer columns, from the server
    assert "storefront-build-4m7kq" in out
    out = kubectl(
        kubectl_env,
        "get",
        "strategies.servicemesh.kubesphere.io",
        "-n",
        "shop-prod",
        "-o",
        "jsonpath={.items[0].spec.type}",
    ).stdout
    assert out == "Canary"


def test_apply_then_server_side_apply(
    kubectl_env: KubectlEnv, tmp_path: Path, sandbox: RunningSandbox
) -> None:
    ns = kubectl_env.ns("conf-apply")
    kubectl(kubectl_env, "create", "namespace", ns)
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        f"  namespace: {ns}\ndata:\n  mode: blue\n  keep: 'yes'\n"
    )
    assert "created" in kubectl(kubectl_env, "apply", "-f", str(manifest)).stdout
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        f"  namespace: {ns}\ndata:\n  mode: green\n"
    )
    assert "configured" in kubectl(kubectl_env, "apply", "-f", str(manifest)).stdout
    stored = sandbox.stored(("", "configmaps"), ns, "settings")
    assert stored is not None
    assert stored["data"] == {"mode": "green"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in stored["metadata"]["annotations"]

    ssa = tmp_path / "ssa.yaml"
    ssa.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n"
        f"  namespace: {ns}\ndata:\n  a: '1'\n"
    )
    out = kubectl(kubectl_env, "apply", "--server-side", "-f", str(ssa)).stdout
    assert "serverside-applied" in out
    assert sandbox.stored(("", "configmaps"), ns, "ssa")["data"] == {"a": "1"}  # type: ignore[index]


def test_patch_scale_delete(kubectl_env: KubectlEnv, sandbox: RunningSandbox) -> None:
    ns = kubectl_env.ns("conf-patch")
    kubectl(kubectl_env, "create", "namespace", ns)
    kubectl(
        kubectl_env, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", ns
    )
    kubectl(
        kubectl_env,
        "patch",
        "deployment",
        "web",
        "-n",
        ns,
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"tier":"front"}}}',
    )
    kubectl(
        kubectl_env,
        "patch",
        "deployment",
        "web",
        "-n",
        ns,
        "--type=json",
        "-p",
        '[{"op":"add","path":"/metadata/labels/owner","value":"team-a"}]',
    )
    deployment = sandbox.stored(("apps", "deployments"), ns, "web")
    assert deployment is not None
    assert deployment["metadata"]["labels"]["tier"] == "front"
    assert deployment["metadata"]["labels"]["owner"] == "team-a"

    kubectl(kubectl_env, "scale", "deployment", "web", "-n", ns, "--replicas=3")
    assert sandbox.stored(("apps", "deployments"), ns, "web")["spec"]["replicas"] == 3  # type: ignore[index]
    # The controllers make three pods owned through a ReplicaSet, and they start running.
    kubectl(kubectl_env, "rollout", "status", "deployment/web", "-n", ns, "--timeout=30s")
    pods = json.loads(kubectl(kubectl_env, "get", "pods", "-n", ns, "-o", "json").stdout)["items"]
    assert len(pods) == 3
    assert {p["status"]["phase"] for p in pods} == {"Running"}
    rs_name = pods[0]["metadata"]["ownerReferences"][0]["name"]
    assert rs_name.startswith("web-")

    kubectl(kubectl_env, "delete", "deployment", "web", "-n", ns)
    assert sandbox.stored(("apps", "deployments"), ns, "web") is None
    leftover = kubectl(kubectl_env, "get", "pods,rs", "-n", ns, "-o", "name").stdout
    assert leftover.strip() == ""  # owned objects were garbage-collected


def test_logs_follow_streams(kubectl_env: KubectlEnv) -> None:
    pod = "reviews-v1-5d8c9f7b6c-2xk7p"
    tail = kubectl(kubectl_env, "logs", pod, "-n", "shop-prod", "--tail=5").stdout
    assert len(tail.strip().splitlines()) == 5
    process = subprocess.Popen(
        [binary_of(kubectl_env), "logs", "-f", "--tail=1", pod, "-n", "shop-prod"],
        env=kubectl_env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        started = time.monotonic()
        second = process.stdout.readline()  # a new line arrives while following
        assert first
        assert second
        assert first != second
        assert time.monotonic() - started < 5
    finally:
        process.kill()
        process.wait()


def test_top_pods(kubectl_env: KubectlEnv) -> None:
    out = kubectl(kubectl_env, "top", "pods", "-n", "shop-prod", "--no-headers").stdout
    rows = [line.split() for line in out.strip().splitlines()]
    assert rows
    assert all(row[1].endswith("m") and row[2].endswith("Mi") for row in rows)
    out = kubectl(kubectl_env, "top", "nodes", "--no-headers").stdout
    assert len(out.strip().splitlines()) == 3


def test_get_watch_sees_a_change(kubectl_env: KubectlEnv) -> None:
    ns = kubectl_env.ns("conf-watch")
    kubectl(kubectl_env, "create", "namespace", ns)
    kubectl(kubectl_env, "create", "configmap", "first", "-n", ns)
    process = subprocess.Popen(
        [binary_of(kubectl_env), "get", "configmaps", "-n", ns, "-w", "--no-headers", "-o", "name"],
        env=kubectl_env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = {process.stdout.readline().strip(), process.stdout.readline().strip()}
        assert seen == {"configmap/first", "configmap/kube-root-ca.crt"}
        kubectl(kubectl_env, "create", "configmap", "second", "-n", ns)
        assert process.stdout.readline().strip() == "configmap/second"
    finally:
        process.kill()
        process.wait()


def test_auth_can_i_admin_and_tenant(kubectl_env: KubectlEnv) -> None:
    assert kubectl(kubectl_env, "auth", "can-i", "delete", "pods", "-A").stdout.strip() == "yes"
    tenant = ["--context", "tenant"]
    assert (
        kubectl(
            kubectl_env, *tenant, "auth", "can-i", "delete", "pods", "-n", "shop-prod"
        ).stdout.strip()
        == "yes"
    )
    denied = kubectl(
        kubectl_env, *tenant, "auth", "can-i", "get", "pods", "-n", "ml-research", check=False
    )
    assert denied.returncode == 1
    assert denied.stdout.strip() == "no"
    forbidden = kubectl(kubectl_env, *tenant, "get", "pods", "-n", "payments", check=False)
    assert forbidden.returncode == 1
    assert (
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in '
        'the namespace "payments"'
    ) in forbidden.stderr
    assert "reviews-v1" in kubectl(kubectl_env, *tenant, "get", "pods").stdout
    ns_list = kubectl(kubectl_env, *tenant, "get", "namespaces", check=False)
    assert ns_list.returncode == 1
    assert "at the cluster scope" in ns_list.stderr


def test_crd_create_then_use(kubectl_env: KubectlEnv, tmp_path: Path) -> None:
    crd = tmp_path / "crd.yaml"
    crd.write_text("""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.kstui.io
spec:
  group: example.kstui.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
""")
    kubectl(kubectl_env, "apply", "-f", str(crd))
    widget = tmp_path / "widget.yaml"
    widget.write_text(
        "apiVersion: example.kstui.io/v1\nkind: Widget\nmetadata:\n  name: w1\n"
        "  namespace: default\nspec:\n  size: 3\n"
    )
    kubectl(kubectl_env, "apply", "-f", str(widget))
    out = kubectl(kubectl_env, "get", "wdg", "-n", "default").stdout
    # A CRD that declares printer columns gets no Age column added, as on the real server.
    assert out.split() == ["NAME", "SIZE", "w1", "3"]
    widget.write_text(
        "apiVersion: example.kstui.io/v1\nkind: Widget\nmetadata:\n  name: w2\n"
        "  namespace: default\nspec:\n  size: 0\n"
    )
    invalid = kubectl(kubectl_env, "apply", "-f", str(widget), check=False)
    assert invalid.returncode == 1
    assert "spec.size" in invalid.stderr
