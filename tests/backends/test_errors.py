"""What the server's refusals become: a name already taken is no conflict to reload."""

from __future__ import annotations

import pytest

from kstui.backends.errors import Conflict, Forbidden, api_error
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client

CONFIGMAPS = "/api/v1/namespaces/payments/configmaps"


async def test_a_taken_name_is_not_told_to_reload(sandbox: RunningSandbox) -> None:
    kube = sandbox_client(sandbox)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "err-taken"}}
    try:
        await kube.create(CONFIGMAPS, body)
        with pytest.raises(Conflict) as raised:
            await kube.create(CONFIGMAPS, body)
        assert raised.value.reason == "AlreadyExists"
        assert raised.value.hint == "the name is taken: choose another"
    finally:
        await kube.delete(f"{CONFIGMAPS}/err-taken")
        await kube.aclose()


def test_a_403_says_who_may_not_do_what_where() -> None:
    def denied(message: str) -> str:
        error = api_error(403, {"message": message, "reason": "Forbidden"}, "GET /x on tenant")
        assert isinstance(error, Forbidden)
        return error.denied

    assert (
        denied(
            'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" '
            'in the namespace "payments"'
        )
        == "forbidden: alice cannot list secrets in namespace payments"
    )
    assert (
        denied(
            'nodes is forbidden: User "alice" cannot watch resource "nodes" in API group "" '
            "at the cluster scope"
        )
        == "forbidden: alice cannot watch nodes cluster-wide"
    )
    assert (
        denied(
            'deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API '
            'group "apps" in the namespace "payments"'
        )
        == "forbidden: alice cannot list deployments.apps in namespace payments"
    )
    # Not in Kubernetes' words: the server's message, or the title when there is none.
    assert denied('forbidden: User "alice" cannot get path "/x"') == (
        'forbidden: User "alice" cannot get path "/x"'
    )
    assert denied("only admins") == "forbidden: only admins"
    assert api_error(403, None, "GET /x on tenant").denied == "GET /x on tenant: 403"  # type: ignore[attr-defined]
