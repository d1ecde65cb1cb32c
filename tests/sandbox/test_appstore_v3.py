"""The app store of a 3.x-flavoured sandbox (API.md §2.7): the v1alpha1 Helm* kinds instead of
the v2 ones, seeded with generated ids, and a HelmRelease that goes creating → created → active
when made, upgrading → upgraded → active when `spec.version` moves, and through `deleting` and
its finalizer when deleted."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kstui.sandbox.seed_appstore_v3 import release_object
from tests.conftest import RunningSandbox
from tests.sandbox.test_identity_and_controllers import client

V1 = "/apis/application.kubesphere.io/v1alpha1"
V2 = "/apis/application.kubesphere.io/v2"


@pytest.fixture
def store3(fresh_sandbox: Any) -> Iterator[tuple[RunningSandbox, httpx.Client]]:
    running = fresh_sandbox(clusters=1, pods=0, kubesphere_version="3", frozen=True)
    with client(running) as http:
        yield running, http


def names(http: httpx.Client, resource: str) -> list[str]:
    answer = http.get(f"{V1}/{resource}")
    assert answer.status_code == 200, answer.text
    return sorted(o["metadata"]["name"] for o in answer.json()["items"])


def settle(running: RunningSandbox) -> None:
    running.call(lambda: None)  # controllers run on the sandbox's loop between calls


def test_a_3x_host_serves_the_v1alpha1_store_seeded_and_no_v2(
    store3: tuple[RunningSandbox, httpx.Client],
) -> None:
    _running, http = store3
    assert http.get(f"{V2}/applicationreleases").status_code == 404
    assert names(http, "helmrepos") == ["repo-bitnami3x"]
    assert "ctg-databases" in names(http, "helmcategories")
    assert {"app-redis3x", "app-redis3x-store"} <= set(names(http, "helmapplications"))
    assert "appv-redis0" in names(http, "helmapplicationversions")
    version = http.get(f"{V1}/helmapplicationversions/appv-redis0").json()
    assert version["metadata"]["labels"]["application.kubesphere.io/app-id"] == "app-redis3x"
    assert version["spec"]["urls"][0].endswith("/charts/bitnami/redis-20.1.3.tgz")
    assert http.get(version["spec"]["urls"][0]).status_code == 200
    assert names(http, "helmreleases") == ["rls-cachefail", "rls-shopweb3x"]
    failed = http.get(f"{V1}/helmreleases/rls-cachefail").json()
    assert failed["status"]["state"] == "failed"
    assert "INSTALLATION FAILED" in failed["status"]["message"]


def test_a_4x_host_serves_no_v1alpha1_store(sandbox: RunningSandbox) -> None:
    with client(sandbox) as http:
        assert http.get(f"{V1}/helmreleases").status_code == 404


def states(http: httpx.Client, name: str) -> list[str]:
    obj = http.get(f"{V1}/helmreleases/{name}").json()
    return [s["state"] for s in reversed(obj["status"]["deployStatus"])]


def test_a_helm_release_goes_through_its_states_upgrade_and_uninstall(
    store3: tuple[RunningSandbox, httpx.Client],
) -> None:
    running, http = store3
    body = release_object(
        "rls-test1", "t1", "redis", 1, "19.6.4", "shop-prod", "replicaCount: 1\n", "alice"
    )
    assert http.post(f"{V1}/helmreleases", json=body).status_code == 201
    settle(running)
    assert states(http, "rls-test1") == ["creating", "created", "active"]
    obj = http.get(f"{V1}/helmreleases/rls-test1").json()
    assert obj["status"]["version"] == 1
    patch = {"spec": {"version": 2, "values": base64.b64encode(b"a: [").decode()}}
    answer = http.patch(
        f"{V1}/helmreleases/rls-test1",
        json=patch,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert answer.status_code == 200, answer.text
    settle(running)
    assert states(http, "rls-test1")[-3:] == ["upgrading", "upgraded", "failed"]
    assert (
        "failed to parse values"
        in http.get(f"{V1}/helmreleases/rls-test1").json()["status"]["message"]
    )
    assert http.delete(f"{V1}/helmreleases/rls-test1").status_code == 200
    settle(running)
    assert http.get(f"{V1}/helmreleases/rls-test1").status_code == 404


def test_on_3x_signed_in_users_browse_the_store_and_members_install(
    store3: tuple[RunningSandbox, httpx.Client],
) -> None:
    running, _http = store3
    with client(running, user="alice") as tenant:
        for resource in ("helmcategories", "helmapplications", "helmapplicationversions"):
            assert tenant.get(f"{V1}/{resource}").status_code == 200, resource
        assert tenant.get(f"{V1}/helmreleases").status_code == 200
        assert tenant.get(f"{V1}/helmrepos").status_code == 403  # credentials live there
        assert tenant.delete(f"{V1}/helmreleases/rls-shopweb3x").status_code == 403
