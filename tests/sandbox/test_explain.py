"""OpenAPI v3 as `kubectl explain` reads it: built-in kinds (upstream schemas) and CRDs (their
own schemas), with the current kubectl releases, by absolute path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests import realclients
from tests.conftest import RunningSandbox
from tests.sandbox.test_http import connect

pytestmark = pytest.mark.kubectl


@pytest.fixture(params=realclients.KUBECTL_VERSIONS, ids=lambda v: f"kubectl{v}")
def kubectl_bin(request: pytest.FixtureRequest) -> str:
    return realclients.kubectl(request.param)


def run(binary: str, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [binary, *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{binary} {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def test_explain_builtin_kinds(kubectl_bin: str, kubectl_env: dict[str, str]) -> None:
    out = run(kubectl_bin, kubectl_env, "explain", "pods.spec.containers")
    assert "KIND:       Pod" in out
    assert "FIELD: containers <[]Container>" in out
    assert "List of containers belonging to the pod." in out
    assert "resources\t<ResourceRequirements>" in out
    out = run(kubectl_bin, kubectl_env, "explain", "deployments.spec.strategy")
    assert "GROUP:      apps" in out
    assert "FIELD: strategy <DeploymentStrategy>" in out
    assert "rollingUpdate\t<RollingUpdateDeployment>" in out
    assert '"Recreate"' in out  # the enum values upstream documents
    out = run(kubectl_bin, kubectl_env, "explain", "secrets")
    assert "KIND:       Secret" in out
    assert all(f"  {name}\t<" in out for name in ("data", "immutable", "stringData", "type"))
    out = run(kubectl_bin, kubectl_env, "explain", "cronjobs.spec.jobTemplate.spec.template")
    assert "FIELD: template <PodTemplateSpec>" in out


def test_explain_kubesphere_crds(kubectl_bin: str, kubectl_env: dict[str, str]) -> None:
    out = run(kubectl_bin, kubectl_env, "explain", "users.spec")
    assert "GROUP:      iam.kubesphere.io" in out
    assert "KIND:       User" in out
    assert "UserSpec defines the desired state of User" in out
    out = run(kubectl_bin, kubectl_env, "explain", "workspacetemplates.spec.template.spec")
    assert "WorkspaceSpec defines the desired state of Workspace" in out
    assert "manager\t<string>" in out
    # metadata is the real ObjectMeta, as kube-apiserver serves it for custom resources.
    out = run(kubectl_bin, kubectl_env, "explain", "users.metadata.ownerReferences.uid")
    assert "FIELD: uid <string>" in out


def test_explain_follows_crd_changes(
    kubectl_bin: str, kubectl_env: dict[str, str], tmp_path: Path
) -> None:
    """A new or changed CRD changes its document's hash, so no cached copy hides it."""
    suffix = "k" + kubectl_bin.rsplit("/", 2)[-2]  # one CRD per client binary; not v32
    crd = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.SUFFIX.explain.kstui.io}
spec:
  group: SUFFIX.explain.kstui.io
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: What a gadget should be.
            properties:
              FIELDS
""".replace("SUFFIX", suffix)
    manifest = tmp_path / "crd.yaml"
    manifest.write_text(crd.replace("FIELDS", "size: {type: integer, description: How big.}"))
    run(kubectl_bin, kubectl_env, "apply", "-f", str(manifest))
    # `explain` takes the first dot as the start of the field path: name the group apart.
    resource = ["gadgets.spec", f"--api-version={suffix}.explain.kstui.io/v1"]
    out = run(kubectl_bin, kubectl_env, "explain", *resource)
    assert "What a gadget should be." in out
    assert "size\t<integer>" in out
    manifest.write_text(crd.replace("FIELDS", "colour: {type: string, description: Paint.}"))
    run(kubectl_bin, kubectl_env, "apply", "-f", str(manifest))
    out = run(kubectl_bin, kubectl_env, "explain", *resource)
    assert "colour\t<string>" in out
    assert "size" not in out


def _gvk(schema: dict) -> set[tuple[str, str, str]]:
    return {
        (g["group"], g["version"], g["kind"])
        for g in schema.get("x-kubernetes-group-version-kind", [])
    }


def test_every_served_kind_has_a_schema(sandbox: RunningSandbox) -> None:
    """Each kind discovery announces can be explained (metrics.k8s.io is an aggregated API,
    whose server the sandbox stands in for without its OpenAPI)."""
    registry = sandbox.cluster().registry
    with connect(sandbox) as http:
        index = http.get("/openapi/v3").json()["paths"]
        missing = []
        for group in registry.groups():
            if group == "metrics.k8s.io":
                continue
            for version in registry.served_versions(group):
                path = f"apis/{group}/{version}" if group else f"api/{version}"
                document = http.get(index[path]["serverRelativeURL"]).json()
                known = set().union(*map(_gvk, document["components"]["schemas"].values()))
                missing += [
                    (group, version, kind.kind)
                    for kind in registry.kinds_in(group, version)
                    if (group, version, kind.kind) not in known
                ]
    assert missing == []


def test_openapi_documents_are_cached_by_hash(sandbox: RunningSandbox) -> None:
    with connect(sandbox) as http:
        first = http.get("/openapi/v3").json()["paths"]
        second = http.get("/openapi/v3").json()["paths"]
        assert first == second
        url = first["api/v1"]["serverRelativeURL"]
        assert url.startswith("/openapi/v3/api/v1?hash=")
        assert len(url.split("=")[1]) == 128
        response: httpx.Response = http.get(url)
        assert response.headers["content-type"] == "application/json"
        pod = response.json()["components"]["schemas"]["io.k8s.api.core.v1.Pod"]
        assert _gvk(pod) == {("", "v1", "Pod")}
        assert pod["properties"]["spec"]  # the upstream schema, not a stub


def test_openapi_v2_as_protobuf_for_older_kubectl(sandbox: RunningSandbox) -> None:
    """kubectl before 1.29 reads /openapi/v2 for apply and explain, as protobuf only."""
    proto = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    with connect(sandbox) as http:
        response = http.get("/openapi/v2", headers={"Accept": proto})
        assert response.headers["content-type"] == "application/octet-stream"
        body = response.content
        version = http.get("/version").json()["gitVersion"].encode()
        info = b"\x0a\x0aKubernetes\x12" + bytes([len(version)]) + version
        # gnostic openapi_v2.Document: swagger (1), info (2: title 1, version 2), paths (8)
        assert body == b"\x0a\x032.0\x12" + bytes([len(info)]) + info + b"\x42\x00"
        document = http.get("/openapi/v2").json()
        assert (document["swagger"], document["definitions"]) == ("2.0", {})


@pytest.mark.parametrize("minor", ["1.27", "1.28"])
def test_older_kubectl_applies_and_explains(
    minor: str, kubectl_env: dict[str, str], tmp_path: Path
) -> None:
    """The kubectl releases beside the machine's dispatcher that still read OpenAPI v2."""
    dispatcher = shutil.which("kubectl")
    binary = Path(os.path.realpath(dispatcher or "kubectl")).parent / f"kubectl.{minor}"
    if not binary.exists():
        pytest.skip(f"no kubectl {minor} beside the kubectl dispatcher on this machine")
    ns = f"older-{minor.replace('.', '')}"
    run(str(binary), kubectl_env, "create", "namespace", ns)
    manifest = tmp_path / "cm.yaml"
    for mode in ("blue", "green"):
        manifest.write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
            f"  namespace: {ns}\ndata:\n  mode: {mode}\n"
        )
        run(str(binary), kubectl_env, "apply", "-f", str(manifest))
    out = run(
        str(binary), kubectl_env, "get", "configmap", "c", "-n", ns, "-o", "jsonpath={.data.mode}"
    )
    assert out == "green"
    out = run(str(binary), kubectl_env, "explain", "pods.spec.containers")
    assert "List of containers belonging to the pod." in out
