"""What the server's refusals become: a name already taken is no conflict to reload."""

from __future__ import annotations

import pytest

from kstui.backends.errors import Conflict
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
