#!/usr/bin/env python
"""Which WebSocket client for exec (kstui/backends/pod_exec.py): each library runs 200 short
execs (`echo hi`) one after another and five `cat`s of a 4 MiB file, against a sandbox in this
process (TLS, a token, v5.channel.k8s.io). A report, not a test.

    pip install --target /tmp/wsbench websockets httpx-ws   # the candidates not installed
    PYTHONPATH=$PWD:/tmp/wsbench python bench/ws_clients.py aiohttp websockets httpx-ws

On the 2-core CI machine (aiohttp 3.14.5, websockets 17.4, httpx-ws 0.9.0):
    aiohttp:    2.82 ms per exec, 377 MB/s   (import 306 ms, lazily, on the first exec)
    websockets: 3.73 ms per exec, 157 MB/s   (import 12 ms)
    httpx-ws:   4.95 ms per exec,  68 MB/s   (import 146 ms)
wsproto is sans-I/O (httpx-ws is built on it). aiohttp was chosen: fastest, and already a
dependency (the sandbox serves with it)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import sys
import tempfile
import time
from urllib.parse import urlencode

import httpx

from kstui.sandbox.runtime import SandboxOptions, SandboxThread

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
POD = (
    '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b","namespace":"default",'
    '"annotations":{"sandbox.kstui.io/start-after":"0"}},'
    '"spec":{"containers":[{"name":"m","image":"alpine:3.20"}]}}'
)


async def with_aiohttp(url: str, n: int, context: ssl.SSLContext, headers: dict) -> int:
    import aiohttp

    out = 0
    async with aiohttp.ClientSession() as session:
        for _ in range(n):
            async with session.ws_connect(
                url, protocols=PROTOCOLS, ssl=context, headers=headers, max_msg_size=0
            ) as ws:
                async for message in ws:
                    out += len(message.data) - 1
    return out


async def with_websockets(url: str, n: int, context: ssl.SSLContext, headers: dict) -> int:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    out = 0
    for _ in range(n):
        async with connect(
            url.replace("https", "wss"),
            subprotocols=PROTOCOLS,  # type: ignore[arg-type]
            ssl=context,
            additional_headers=headers,
            max_size=None,
        ) as ws:
            try:
                async for message in ws:
                    out += len(message) - 1
            except ConnectionClosed:
                pass
    return out


async def with_httpx_ws(url: str, n: int, context: ssl.SSLContext, headers: dict) -> int:
    from httpx_ws import WebSocketDisconnect, aconnect_ws

    out = 0
    async with httpx.AsyncClient(verify=context) as client:
        for _ in range(n):
            async with aconnect_ws(
                url,
                client,
                subprotocols=list(PROTOCOLS),
                headers=headers,
                max_message_size_bytes=1 << 30,
            ) as ws:
                try:
                    while True:
                        out += len(await ws.receive_bytes()) - 1
                except WebSocketDisconnect:
                    pass
    return out


RUNNERS = {"aiohttp": with_aiohttp, "websockets": with_websockets, "httpx-ws": with_httpx_ws}


def main(names: list[str]) -> None:
    thread = SandboxThread(
        SandboxOptions(
            clusters=1, pods=0, kubesphere=False, state_dir=(scratch := tempfile.mkdtemp())
        )
    )
    sandbox = thread.start()
    url = sandbox.url("host")
    context = ssl.create_default_context(cadata=sandbox.ca_pem.decode())
    headers = {"Authorization": f"Bearer {sandbox.token('host', 'admin')}"}
    pods = url + "/api/v1/namespaces/default/pods"
    httpx.post(
        pods, content=POD, headers={**headers, "Content-Type": "application/json"}, verify=context
    )
    for _ in range(50):
        pod = httpx.get(pods + "/b", headers=headers, verify=context).json()
        if pod.get("status", {}).get("phase") == "Running":
            break
        time.sleep(0.2)
    base = pods + "/b/exec?"

    async def seed() -> None:
        import aiohttp

        query = urlencode(
            [("command", "sh"), ("command", "-c"), ("command", "cat > /tmp/big"), ("stdin", "true")]
        )
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                base + query, protocols=PROTOCOLS, ssl=context, headers=headers
            ) as ws,
        ):
            for _ in range(64):
                await ws.send_bytes(b"\x00" + b"x" * 65536)
            await ws.send_bytes(b"\xff\x00")
            async for _message in ws:
                pass

    asyncio.run(seed())
    small = base + urlencode([("command", "echo"), ("command", "hi"), ("stdout", "true")])
    big = base + urlencode([("command", "cat"), ("command", "/tmp/big"), ("stdout", "true")])
    for name in names or list(RUNNERS):
        run = RUNNERS[name]
        start = time.perf_counter()
        asyncio.run(run(small, 200, context, headers))
        each = (time.perf_counter() - start) * 1000 / 200
        start = time.perf_counter()
        size = asyncio.run(run(big, 5, context, headers))
        rate = size / (time.perf_counter() - start) / 1e6
        print(f"{name}: {each:.2f} ms per exec, {rate:.0f} MB/s")
    thread.stop()
    shutil.rmtree(scratch, ignore_errors=True)  # the sandbox's state, tokens included


if __name__ == "__main__":
    main(sys.argv[1:])
