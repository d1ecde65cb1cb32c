"""TokenRequest: a service account's token authenticates as the account and RBAC limits it; over
plain HTTP (httpx) and with the machine's kubectl (`create token`, `create pdb`, `drain`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_http import connect, ok
from tests.sandbox.test_kubectl import kubectl

Fresh = Callable[..., RunningSandbox]
NS = "tokens"
TOKEN = f"/api/v1/namespaces/{NS}/serviceaccounts/robot/token"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


@pytest.fixture(scope="module")
def admin(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(sandbox) as http:
        ok(
            http.post(
                "/api/v1/namespaces",
                json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            ),
            201,
        )
        yield http


def _account(http: httpx.Client, name: str) -> dict[str, Any]:
    return ok(
        http.post(
            f"/api/v1/namespaces/{NS}/serviceaccounts",
            json={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}},
        ),
        201,
    )


def _request(http: httpx.Client, name: str, **spec: Any) -> httpx.Response:
    return http.post(
        f"/api/v1/namespaces/{NS}/serviceaccounts/{name}/token",
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec},
    )


def test_a_token_authenticates_as_the_account_and_rbac_limits_it(
    sandbox: RunningSandbox, admin: httpx.Client
) -> None:
    account = _account(admin, "robot")
    answer = ok(_request(admin, "robot", expirationSeconds=1200), 201)
    assert answer["kind"] == "TokenRequest"
    assert answer["spec"]["expirationSeconds"] == 1200
    assert answer["spec"]["audiences"] == ["https://kubernetes.default.svc.cluster.local"]
    assert answer["status"]["expirationTimestamp"].endswith("Z")
    token = answer["status"]["token"]
    assert token.count(".") == 2  # shaped as a JWT
    with connect(sandbox, token) as robot:
        me = ok(
            robot.post(
                WHOAMI, json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
            ),
            201,
        )["status"]["userInfo"]
        assert me == {
            "username": f"system:serviceaccount:{NS}:robot",
            "uid": account["metadata"]["uid"],
            "groups": [
                "system:serviceaccounts",
                f"system:serviceaccounts:{NS}",
                "system:authenticated",
            ],
        }
        denied = robot.get(f"/api/v1/namespaces/{NS}/pods")
        assert denied.status_code == 403
        assert denied.json()["message"] == (
            f'pods is forbidden: User "system:serviceaccount:{NS}:robot" cannot list resource '
            f'"pods" in API group "" in the namespace "{NS}"'
        )
        ok(
            admin.post(
                f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/rolebindings",
                json={
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": "robot-view"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "view",
                    },
                    "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": NS}],
                },
            ),
            201,
        )
        assert ok(robot.get(f"/api/v1/namespaces/{NS}/pods"))["items"] == []
        assert robot.get("/api/v1/namespaces/default/pods").status_code == 403  # only there
        ok(admin.delete(f"/api/v1/namespaces/{NS}/serviceaccounts/robot"))
        assert robot.get(f"/api/v1/namespaces/{NS}/pods").status_code == 401  # bound: gone


def test_token_requests_are_validated(sandbox: RunningSandbox, admin: httpx.Client) -> None:
    _account(admin, "checked")
    short = _request(admin, "checked", expirationSeconds=60)
    assert short.status_code == 422
    assert short.json()["message"] == (
        'TokenRequest.authentication.k8s.io "checked" is invalid: spec.expirationSeconds: '
        "Invalid value: 60: may not specify a duration less than 10 minutes"
    )
    missing = _request(admin, "nobody")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'serviceaccounts "nobody" not found'
    other = ok(_request(admin, "checked", audiences=["vault"]), 201)
    with connect(sandbox, other["status"]["token"]) as elsewhere:
        assert elsewhere.get("/api").status_code == 401  # meant for another audience
    with connect(sandbox, sandbox.token("host", "alice")) as alice:
        refused = _request(alice, "checked")
        assert refused.status_code == 403
        assert 'cannot create resource "serviceaccounts/token"' in refused.json()["message"]


# ------------------------------------------------------------------ kubectl


@pytest.mark.kubectl
def test_kubectl_create_token_then_use_it(kubectl_env: dict[str, str], admin: httpx.Client) -> None:
    _account(admin, "deployer")
    token = kubectl(
        kubectl_env, "create", "token", "deployer", "-n", NS, "--duration=20m"
    ).stdout.strip()
    as_robot = ["--token", token, "-n", NS]
    denied = kubectl(kubectl_env, *as_robot, "get", "configmaps", check=False)
    assert denied.returncode == 1
    assert (
        f'User "system:serviceaccount:{NS}:deployer" cannot list resource "configmaps"'
        in denied.stderr
    )
    kubectl(
        kubectl_env,
        "create",
        "rolebinding",
        "deployer-view",
        "--clusterrole=view",
        f"--serviceaccount={NS}:deployer",
        "-n",
        NS,
    )
    listed = kubectl(kubectl_env, *as_robot, "get", "configmaps", "-o", "name").stdout
    assert "configmap/kube-root-ca.crt" in listed.split()


@pytest.mark.kubectl
def test_kubectl_create_pdb_and_get_it(kubectl_env: dict[str, str], admin: httpx.Client) -> None:
    kubectl(
        kubectl_env, "create", "pdb", "web", "-n", NS, "--selector=app=web", "--min-available=1"
    )
    out = kubectl(kubectl_env, "get", "pdb", "web", "-n", NS).stdout.splitlines()
    assert out[0].split() == [
        "NAME",
        "MIN",
        "AVAILABLE",
        "MAX",
        "UNAVAILABLE",
        "ALLOWED",
        "DISRUPTIONS",
        "AGE",
    ]
    assert out[1].split()[:4] == ["web", "1", "<none>", "0"]


@pytest.mark.kubectl
def test_kubectl_drain_is_refused_by_a_disruption_budget(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed: .ci/run installs it")
    running = fresh_sandbox(pods=0, kubesphere=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(
        {
            "KUBECONFIG": str(running.kubeconfig),
            "KUBECACHEDIR": str(tmp_path / "cache"),
            "HOME": str(tmp_path),
        }
    )
    kubectl(env, "create", "namespace", "drain")
    kubectl(env, "create", "deployment", "db", "--image=postgres:16.3", "-n", "drain")
    kubectl(env, "rollout", "status", "deployment/db", "-n", "drain", "--timeout=60s")
    kubectl(env, "create", "pdb", "db", "-n", "drain", "--selector=app=db", "--min-available=1")
    node = kubectl(
        env, "get", "pods", "-n", "drain", "-o", "jsonpath={.items[0].spec.nodeName}"
    ).stdout
    # kubectl tries the eviction at once and, refused (429), retries after a fixed 5 s: a 1 s
    # timeout sees exactly one refusal and then gives up.
    refused = kubectl(
        env, "drain", node, "--ignore-daemonsets", "--timeout=1s", check=False, timeout=90
    )
    assert refused.returncode != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in refused.stderr
    assert f"node/{node} cordoned" in refused.stdout
    assert kubectl(env, "get", "pods", "-n", "drain", "-o", "name").stdout.strip()  # still there
    kubectl(env, "delete", "pdb", "db", "-n", "drain")
    drained = kubectl(env, "drain", node, "--ignore-daemonsets", "--timeout=30s", timeout=90)
    assert f"node/{node} drained" in drained.stdout
