"""Real kubectl against the sandbox's traffic kinds: a 3.x cluster's strategies and the
VirtualServices its controller made, a vanilla cluster's VirtualServices and HTTPRoutes, and the
console's merge patch on a Strategy (API.md §5.3) that the VirtualService then follows."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest

from tests import realclients
from tests.conftest import RunningSandbox
from tests.sandbox.test_kubectl import KubectlEnv, kubectl, names

pytestmark = pytest.mark.kubectl


@pytest.fixture(params=["path", *realclients.KUBECTL_VERSIONS[:1]])
def binary(request: pytest.FixtureRequest) -> str:
    return "kubectl" if request.param == "path" else realclients.kubectl(request.param)


def env_for(running: RunningSandbox, binary: str, tmp: str) -> KubectlEnv:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update({"KUBECONFIG": str(running.kubeconfig), "KUBECACHEDIR": tmp, "HOME": tmp})
    return KubectlEnv(env, binary)


def test_get_and_patch_strategies_on_3x(
    fresh_sandbox: Callable[..., RunningSandbox], binary: str, tmp_path: object
) -> None:
    running = fresh_sandbox(pods=0, kubesphere_version="3")
    env = env_for(running, binary, str(tmp_path))
    out = kubectl(env, "get", "strategies,virtualservices", "-n", "shop-prod", "--no-headers")
    found = names(out.stdout)
    assert "strategy.servicemesh.kubesphere.io/ratings-canary" in found
    assert "virtualservice.networking.istio.io/ratings" in found
    assert "strategy.servicemesh.kubesphere.io/inventory-canary" in found
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "http": [
                        {
                            "route": [
                                {"destination": {"host": "ratings", "subset": "v1"}, "weight": 75},
                                {"destination": {"host": "ratings", "subset": "v2"}, "weight": 25},
                            ]
                        }
                    ]
                }
            },
            "governor": "",
        }
    }
    kubectl(
        env,
        "patch",
        "strategy",
        "ratings-canary",
        "-n",
        "shop-prod",
        "--type=merge",
        "-p",
        json.dumps(patch),
    )
    weights = "jsonpath={.spec.http[0].route[*].weight}"
    deadline = time.monotonic() + 10
    while True:
        out = kubectl(env, "get", "virtualservice", "ratings", "-n", "shop-prod", "-o", weights)
        if out.stdout == "75 25" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert out.stdout == "75 25"


def test_get_virtualservices_and_httproutes_on_vanilla(
    fresh_sandbox: Callable[..., RunningSandbox], binary: str, tmp_path: object
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    env = env_for(running, binary, str(tmp_path))
    out = kubectl(env, "get", "virtualservices,httproutes", "-A", "--no-headers")
    found = names(out.stdout)
    assert found == ["bookstore", "bookstore"]  # -A: the namespace column first
    assert "virtualservice.networking.istio.io/reviews" in out.stdout
    assert "httproute.gateway.networking.k8s.io/checkout" in out.stdout
    table = kubectl(env, "get", "httproutes", "-n", "bookstore").stdout.splitlines()
    assert table[0].split() == ["NAME", "HOSTNAMES", "AGE"]
    assert table[1].split()[:2] == ["checkout", '["checkout.bookstore.example"]']
    weights = "jsonpath={.spec.rules[0].backendRefs[*].weight}"
    assert (
        kubectl(env, "get", "httproute", "checkout", "-n", "bookstore", "-o", weights).stdout
        == "75 25"
    )
