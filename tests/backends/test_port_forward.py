"""kstui's port-forward (port_forward.py) against the sandbox's WebSocket port-forward, over TLS
with a token: real bytes to real clients (httpx, a raw socket for redis), a local port in use,
the pod deleted under a forward."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx

from kstui.backends.port_forward import (
    ContainerPort,
    Forwards,
    PortForward,
    container_ports,
    pick_pod,
)
from tests.backends.test_pod_exec import client_for, token_kubeconfig
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS, admin_env
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.test_kubectl import kubectl


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def redis_ping(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"PING\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
    writer.close()
    return answer


async def test_http_and_redis_through_forwards(tmp_path: Path, lab: RunningSandbox) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        forwards = Forwards()
        web = await forwards.add(PortForward(client, NS, "web", 80, free_port()))
        cache = await forwards.add(PortForward(client, NS, "web", 6379, free_port()))
        try:
            async with httpx.AsyncClient() as http:
                page = await http.get(f"http://127.0.0.1:{web.local}/")
                again = await http.get(f"http://127.0.0.1:{web.local}/")  # the same connection
            assert page.status_code == 200
            assert "<h1>Welcome to nginx!</h1>" in page.text
            assert again.text == page.text
            assert await redis_ping(cache.local) == b"+PONG\r\n"
            assert await redis_ping(cache.local) == b"+PONG\r\n"
            assert cache.connections == 2
            assert cache.bytes_out == 12
            assert cache.bytes_in == 14
            assert web.bytes_in > 2 * len(page.content)
            assert not web.gone
            assert not web.last_error
        finally:
            await forwards.stop_all()
        assert not forwards.items
        with socket.socket() as probe:  # the listener is gone
            assert probe.connect_ex(("127.0.0.1", web.local)) != 0


async def test_a_client_that_shuts_its_write_side_still_gets_the_answer(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    """`printf 'PING\\r\\n' | nc -N`: the answer comes after the client's EOF."""
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        forward = PortForward(client, NS, "web", 6379, free_port())
        await forward.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", forward.local)
            writer.write(b"PING\r\n")
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(), 5) == b"+PONG\r\n"
            writer.close()
        finally:
            await forward.stop()


async def test_the_server_dropping_the_stream_ends_that_connection_only(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        forward = PortForward(client, NS, "web", 6379, free_port())
        await forward.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", forward.local)
            writer.write(b"PING\r\n")
            assert await asyncio.wait_for(reader.readuntil(b"\r\n"), 5) == b"+PONG\r\n"
            await asyncio.to_thread(lab.call, lab.cluster().faults.drop_streams)
            assert await asyncio.wait_for(reader.read(), 10) == b""  # the connection ends
            writer.close()
            assert await redis_ping(forward.local) == b"+PONG\r\n"  # the forward goes on
            assert not forward.gone
        finally:
            await forward.stop()


async def test_a_local_port_in_use_moves_to_the_next_free(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
            forward = PortForward(client, NS, "web", 6379, port)
            await forward.start()
            try:
                assert forward.moved
                assert forward.local > port
                assert await redis_ping(forward.local) == b"+PONG\r\n"
            finally:
                await forward.stop()
    finally:
        taken.close()


async def test_a_refused_port_is_said(tmp_path: Path, lab: RunningSandbox) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        forward = PortForward(client, NS, "web", 81, free_port())
        await forward.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", forward.local)
            writer.write(b"GET / HTTP/1.1\r\n\r\n")
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed
            assert "error forwarding port 81" in forward.last_error
        finally:
            await forward.stop()


async def test_the_pod_deleted_under_a_forward_is_said(tmp_path: Path, lab: RunningSandbox) -> None:
    env = admin_env(lab)
    kubectl(env, "run", "-n", NS, "doomed-redis", "--image=redis:7.2.5", "--port=6379")
    deadline = time.monotonic() + 10
    while (lab.stored(("", "pods"), NS, "doomed-redis") or {}).get("status", {}).get(
        "phase"
    ) != "Running":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        forward = PortForward(client, NS, "doomed-redis", 6379, free_port())
        await forward.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", forward.local)
            writer.write(b"PING\r\n")
            assert await asyncio.wait_for(reader.readuntil(b"\r\n"), 5) == b"+PONG\r\n"
            kubectl(env, "delete", "pod", "-n", NS, "doomed-redis", "--wait=false")
            assert await asyncio.wait_for(reader.read(), 10) == b""  # the connection ends
            deadline = time.monotonic() + 10
            while not forward.gone:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)
            assert forward.gone.startswith(f"pod {NS}/doomed-redis ")
        finally:
            await forward.stop()


def test_ports_and_the_pod_picked() -> None:
    pod = {
        "spec": {
            "containers": [
                {"name": "nginx", "ports": [{"containerPort": 80, "name": "http"}]},
                {"name": "cache", "ports": [{"containerPort": 6379}]},
            ]
        }
    }
    assert container_ports(pod) == [
        ContainerPort("nginx", 80, "http"),
        ContainerPort("cache", 6379),
    ]
    assert ContainerPort("nginx", 80, "http").label == "80/TCP (http) · nginx"

    def pod_at(name: str, phase: str, ready: bool, created: str) -> dict[str, object]:
        condition = {"type": "Ready", "status": "True" if ready else "False"}
        return {
            "metadata": {"name": name, "creationTimestamp": created},
            "status": {"phase": phase, "conditions": [condition]},
        }

    pods = [
        pod_at("pending", "Pending", False, "2024-01-01T00:00:00Z"),
        pod_at("unready", "Running", False, "2024-01-02T00:00:00Z"),
        pod_at("newer", "Running", True, "2024-01-04T00:00:00Z"),
        pod_at("older", "Running", True, "2024-01-03T00:00:00Z"),
    ]
    picked = pick_pod(pods)
    assert picked is not None
    assert picked["metadata"]["name"] == "older"
    assert pick_pod(pods[:1]) is None
