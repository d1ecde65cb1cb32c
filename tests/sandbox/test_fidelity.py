"""Sandbox fidelity: server-set creationTimestamp, Secret stringData, a 410 fault's Status and
quiet handling of clients that drop a log follow or a watch. Real kubectl, the official Python
client and httpx, over https with tokens."""

from __future__ import annotations

import base64
import json
import logging
import socket
import ssl
import struct
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.conftest import RunningSandbox
from tests.sandbox.test_kubectl import kubectl

Fresh = Callable[..., RunningSandbox]
SECRETS = ("", "secrets")


def http(running: RunningSandbox) -> httpx.Client:
    context = ssl.create_default_context(cafile=running.ca_file())
    return httpx.Client(
        base_url=running.url(),
        verify=context,
        timeout=20.0,
        headers={"Authorization": f"Bearer {running.token()}"},
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def recent(stamp: object) -> bool:
    """An RFC 3339 time stamped by the server within the last few minutes."""
    if not isinstance(stamp, str):
        return False
    when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return abs((datetime.now(UTC) - when).total_seconds()) < 600


# ------------------------------------------------------------------ creationTimestamp


@pytest.mark.kubectl
def test_kubectl_create_and_run_get_a_server_creation_timestamp(
    kubectl_env: dict[str, str], sandbox: RunningSandbox
) -> None:
    # kubectl create/run send `metadata.creationTimestamp: null`; the server must stamp it.
    ns = "fidelity-stamps"
    kubectl(kubectl_env, "create", "namespace", ns)
    kubectl(kubectl_env, "create", "configmap", "stamped", "-n", ns, "--from-literal=a=b")
    kubectl(
        kubectl_env, "create", "secret", "generic", "stamped", "-n", ns, "--from-literal=user=admin"
    )
    kubectl(kubectl_env, "run", "stamped", "-n", ns, "--image=nginx:1.27")
    for key, name in (
        (("", "namespaces"), ""),
        (("", "configmaps"), ns),
        (SECRETS, ns),
        (("", "pods"), ns),
    ):
        stored = sandbox.stored(key, name, ns if not name else "stamped")
        assert stored is not None, key
        meta = stored["metadata"]
        assert recent(meta.get("creationTimestamp")), (key, meta)
        assert meta.get("uid"), (key, meta)
        assert meta.get("resourceVersion"), (key, meta)
    out = kubectl(kubectl_env, "get", "configmap,secret,pod", "-n", ns, "--no-headers").stdout
    assert out.strip()
    assert "<unknown>" not in out
    secret = json.loads(
        kubectl(kubectl_env, "get", "secret", "stamped", "-n", ns, "-o", "json").stdout
    )
    assert secret["data"] == {"user": b64("admin")}


def test_a_client_sent_creation_timestamp_is_replaced(sandbox: RunningSandbox) -> None:
    with http(sandbox) as api:
        ns = "fidelity-sent-stamp"
        api.post("/api/v1/namespaces", json={"metadata": {"name": ns}}).raise_for_status()
        sent = {
            "metadata": {
                "name": "old",
                "creationTimestamp": "2001-01-01T00:00:00Z",
                "uid": "not-yours",
            },
            "data": {"a": "b"},
        }
        created = api.post(f"/api/v1/namespaces/{ns}/configmaps", json=sent)
        assert created.status_code == 201
        meta = created.json()["metadata"]
        assert recent(meta["creationTimestamp"])
        assert meta["uid"] != "not-yours"
        applied = api.patch(
            f"/api/v1/namespaces/{ns}/configmaps/applied",
            params={"fieldManager": "test"},
            headers={"Content-Type": "application/apply-patch+yaml"},
            content=json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "applied", "creationTimestamp": None},
                }
            ),
        )
        assert applied.status_code == 201
        assert recent(applied.json()["metadata"]["creationTimestamp"])


# ------------------------------------------------------------------ Secret stringData


def test_secret_string_data_is_folded_into_data(sandbox: RunningSandbox) -> None:
    ns = "fidelity-stringdata"
    path = f"/api/v1/namespaces/{ns}/secrets"
    with http(sandbox) as api:
        api.post("/api/v1/namespaces", json={"metadata": {"name": ns}}).raise_for_status()
        created = api.post(
            path,
            json={
                "metadata": {"name": "s"},
                "data": {"kept": b64("k"), "over": b64("old")},
                "stringData": {"over": "new", "plain": "p"},
            },
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert "stringData" not in body
        assert body["data"] == {"kept": b64("k"), "over": b64("new"), "plain": b64("p")}
        stored = sandbox.stored(SECRETS, ns, "s")
        assert stored is not None
        assert "stringData" not in stored
        assert stored["data"] == body["data"]

        body["stringData"] = {"put": "by-put"}
        updated = api.put(f"{path}/s", json=body)
        assert updated.status_code == 200, updated.text
        assert "stringData" not in updated.json()
        assert updated.json()["data"]["put"] == b64("by-put")

        for content_type in (
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        ):
            patched = api.patch(
                f"{path}/s",
                headers={"Content-Type": content_type},
                content=json.dumps({"stringData": {"patched": content_type}}),
            )
            assert patched.status_code == 200, patched.text
            assert "stringData" not in patched.json()
            assert patched.json()["data"]["patched"] == b64(content_type)
        stored = sandbox.stored(SECRETS, ns, "s")
        assert stored is not None
        assert "stringData" not in stored
        assert stored["data"]["put"] == b64("by-put")
        assert stored["data"]["kept"] == b64("k")


def test_python_client_secret_string_data(sandbox: RunningSandbox) -> None:
    ns = "fidelity-stringdata-py"
    with config.new_client_from_config(
        config_file=str(sandbox.kubeconfig), context="host"
    ) as api_client:
        core = client.CoreV1Api(api_client)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
        created = core.create_namespaced_secret(
            ns,
            client.V1Secret(
                metadata=client.V1ObjectMeta(name="py"), string_data={"token": "s3cret"}
            ),
        )
        assert created.string_data is None
        assert created.data == {"token": b64("s3cret")}
        read = core.read_namespaced_secret("py", ns)
        assert read.string_data is None
        assert read.data == {"token": b64("s3cret")}


# ------------------------------------------------------------------ 410 fault


def test_a_410_fault_is_expired_like_kube_apiserver(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    faults = running.cluster().faults
    running.call(faults.fail_next, 1, 410, "/api/v1/namespaces/default/configmaps")
    with http(running) as api:
        response = api.get("/api/v1/namespaces/default/configmaps", params={"resourceVersion": "5"})
    assert response.status_code == 410
    body = response.json()
    # client-go's IsResourceExpired keys on reason Expired; never an InternalError.
    assert (body["kind"], body["status"], body["code"], body["reason"]) == (
        "Status",
        "Failure",
        410,
        "Expired",
    )
    assert body["message"].startswith("too old resource version: 5 (")

    running.call(faults.fail_next, 1, 410)
    with (
        config.new_client_from_config(
            config_file=str(running.kubeconfig), context="host"
        ) as api_client,
        pytest.raises(ApiException) as raised,
    ):
        client.CoreV1Api(api_client).list_namespaced_config_map("default")
    assert raised.value.status == 410
    assert json.loads(raised.value.body)["reason"] == "Expired"


# ------------------------------------------------------------------ dropped clients


def _drop_abruptly(running: RunningSandbox, path: str) -> None:
    """Open `path` over TLS, read the start of the answer, then reset the connection (RST)."""
    host, port = running.url().split("//")[1].rsplit(":", 1)
    context = ssl.create_default_context(cafile=running.ca_file())
    context.check_hostname = False
    raw = socket.create_connection((host, int(port)), timeout=20)
    tls = context.wrap_socket(raw)
    tls.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {running.token()}\r\n\r\n".encode()
    )
    assert tls.recv(64).startswith(b"HTTP/1.1 200")
    tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    tls.close()


def _settles(caplog: pytest.LogCaptureFixture, path: str, timeout: float = 30.0) -> None:
    """Wait until the sandbox has noticed the client left, or complained about it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in caplog.records:
            if record.levelno >= logging.WARNING or path in record.getMessage():
                return
        time.sleep(0.1)


@pytest.mark.parametrize("stream", ["log follow", "watch"])
def test_a_client_dropping_a_stream_logs_no_traceback(
    fresh_sandbox: Fresh, caplog: pytest.LogCaptureFixture, stream: str
) -> None:
    running = fresh_sandbox(pods=20, kubesphere=False)
    with http(running) as api:
        if stream == "log follow":
            pods = api.get("/api/v1/pods").json()["items"]
            pod = next(
                p
                for p in pods
                if "running"
                in ((p["status"].get("containerStatuses") or [{}])[0].get("state") or {})
            )
            meta = pod["metadata"]
            path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/log"
            query = "?follow=true&tailLines=5"
        else:  # first events of ~10 MiB: the client leaves while they are being written
            filler = "x" * 900_000
            for index in range(12):
                api.post(
                    "/api/v1/namespaces/default/configmaps",
                    json={"metadata": {"name": f"big-{index}"}, "data": {"filler": filler}},
                ).raise_for_status()
            path, query = "/api/v1/namespaces/default/configmaps", "?watch=1"
    caplog.set_level(logging.DEBUG)
    _drop_abruptly(running, path + query)
    _settles(caplog, path)
    loud = [
        (r.name, r.levelname, r.getMessage())
        for r in caplog.records
        if r.levelno >= logging.WARNING or r.exc_info
    ]
    assert loud == []
    noticed = [r.getMessage() for r in caplog.records if r.name == "kstui.sandbox"]
    assert any(path in message for message in noticed), noticed
    with http(running) as api:  # and the sandbox still answers
        assert api.get("/api/v1/namespaces/default/configmaps").status_code == 200
