"""kube-apiserver's answers where a cache can go wrong: a resourceVersion newer than the store
(504 ResourceVersionTooLarge, never silence), bookmarks for a quiet kind, a hung server, and a
restart that keeps the CA and tokens while the store (and its resourceVersion) starts afresh."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from tests.conftest import RunningSandbox

Fresh = Callable[..., RunningSandbox]
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def connect(running: RunningSandbox, token: str | None = None, read: float = 20.0) -> httpx.Client:
    context = ssl.create_default_context(cafile=running.ca_file())
    return httpx.Client(
        base_url=running.url(),
        verify=context,
        headers={"Authorization": f"Bearer {token or running.token()}"},
        timeout=httpx.Timeout(10.0, read=read),
    )


def current_rv(http: httpx.Client, path: str = CONFIGMAPS) -> int:
    response = http.get(path)
    assert response.status_code == 200, response.text
    return int(response.json()["metadata"]["resourceVersion"])


def create_configmap(http: httpx.Client, name: str) -> None:
    response = http.post(
        CONFIGMAPS, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    )
    assert response.status_code == 201


def assert_too_large(response: httpx.Response, requested: int) -> None:
    assert response.status_code == 504, response.text
    body = response.json()
    assert body["kind"] == "Status"
    assert body["reason"] == "Timeout"
    assert body["code"] == 504
    assert body["message"].startswith(f"Too large resource version: {requested}, current: ")
    assert body["details"]["causes"] == [
        {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
    ]
    assert body["details"]["retryAfterSeconds"] == 1
    assert response.headers["Retry-After"] == "1"


def test_a_list_newer_than_the_store_answers_504_too_large(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    with connect(running) as http:
        ahead = current_rv(http) + 1000
        assert_too_large(http.get(CONFIGMAPS, params={"resourceVersion": str(ahead)}), ahead)
        # The current version itself, "0" and none at all are answered.
        now = current_rv(http)
        for rv in (str(now), "0", ""):
            assert http.get(CONFIGMAPS, params={"resourceVersion": rv}).status_code == 200


def test_a_watch_newer_than_the_store_answers_504_after_a_short_wait(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    with connect(running) as http:
        ahead = current_rv(http) + 1000
        began = time.monotonic()
        response = http.get(
            CONFIGMAPS,
            params={
                "watch": "1",
                "resourceVersion": str(ahead),
                "allowWatchBookmarks": "true",
                "timeoutSeconds": "30",
            },
        )
        waited = time.monotonic() - began
        assert_too_large(response, ahead)
        assert 2.5 <= waited < 15, waited  # it waited for the store to catch up, then said so


def test_a_watch_just_ahead_waits_for_the_store_to_catch_up(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    with connect(running) as http:
        next_rv = current_rv(http) + 1
        events: list[dict[str, Any]] = []

        def watch() -> None:
            with http.stream(
                "GET",
                CONFIGMAPS,
                params={"watch": "1", "resourceVersion": str(next_rv), "timeoutSeconds": "5"},
            ) as response:
                assert response.status_code == 200
                events.extend(json.loads(line) for line in response.iter_lines() if line)

        reader = threading.Thread(target=watch)
        reader.start()
        time.sleep(0.5)
        with connect(running) as writer:
            create_configmap(writer, "first")
            create_configmap(writer, "second")
        reader.join(15)
        # Events after next_rv: the first write is at next_rv itself, so only the second.
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "second")
        ]


def test_the_official_client_sees_504_too_large_on_list_and_watch(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    api_client = k8s_config.new_client_from_config(
        config_file=str(running.kubeconfig), context="host"
    )
    try:
        core = k8s.CoreV1Api(api_client)
        now = int(core.list_namespaced_config_map("default").metadata.resource_version)
        for watching in (False, True):
            with pytest.raises(ApiException) as caught:
                core.list_namespaced_config_map(
                    "default",
                    resource_version=str(now + 500),
                    watch=watching,
                    _preload_content=False,
                    timeout_seconds=10,
                )
            assert caught.value.status == 504
            body = json.loads(caught.value.body)
            assert body["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
    finally:
        api_client.close()


def test_a_quiet_kind_gets_bookmarks_at_the_clusters_interval_despite_other_writes(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.cluster().bookmark_interval = 1.0
    stop = threading.Event()

    def churn() -> None:  # another kind keeps the store's version moving
        with connect(running) as writer:
            path = "/api/v1/namespaces/default/secrets"
            writer.post(
                path, json={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "busy"}}
            )
            n = 0
            while not stop.is_set():
                n += 1
                writer.patch(
                    f"{path}/busy",
                    json={"stringData": {"n": str(n)}},
                    headers={"Content-Type": "application/merge-patch+json"},
                )
                time.sleep(0.05)

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        with connect(running) as http:
            start = current_rv(http)
            began = time.monotonic()
            bookmarks: list[dict[str, Any]] = []
            with http.stream(
                "GET",
                CONFIGMAPS,
                params={
                    "watch": "1",
                    "resourceVersion": str(start),
                    "allowWatchBookmarks": "true",
                    "timeoutSeconds": "6",
                },
            ) as response:
                for line in response.iter_lines():
                    if line:
                        event = json.loads(line)
                        assert event["type"] == "BOOKMARK"
                        bookmarks.append(event["object"])
                        if len(bookmarks) == 2:
                            break
            elapsed = time.monotonic() - began
            after = current_rv(http)
    finally:
        stop.set()
        writer.join(10)
    assert len(bookmarks) == 2
    assert elapsed < 5.5
    versions = [int(b["metadata"]["resourceVersion"]) for b in bookmarks]
    assert start < versions[0] < versions[1] <= after  # the global version, moving on
    assert bookmarks[0]["kind"] == "ConfigMap"


def test_no_bookmarks_unless_the_client_allows_them(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.cluster().bookmark_interval = 0.5
    with connect(running) as http:
        start = current_rv(http)
        response = http.get(
            CONFIGMAPS, params={"watch": "1", "resourceVersion": str(start), "timeoutSeconds": "2"}
        )
        assert response.status_code == 200
        assert response.text == ""


def test_a_hung_server_answers_nothing_until_cleared(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.cluster().bookmark_interval = 0.5
    with connect(running, read=1.5) as http:
        start = current_rv(http)
        running.call(running.cluster().faults.hang)
        with pytest.raises(httpx.ReadTimeout):
            http.get(CONFIGMAPS)
        # The admin endpoint still answers, so a test in another process can end the hang.
        assert http.post("/sandbox/faults", json={"action": "clear"}).status_code == 200
        assert current_rv(http) >= start


def test_a_hung_server_silences_open_watches(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.cluster().bookmark_interval = 0.3
    with connect(running, read=2.0) as http:
        start = current_rv(http)
        with http.stream(
            "GET",
            CONFIGMAPS,
            params={
                "watch": "1",
                "resourceVersion": str(start),
                "allowWatchBookmarks": "true",
                "timeoutSeconds": "30",
            },
        ) as response:
            lines = response.iter_lines()
            assert json.loads(next(lines))["type"] == "BOOKMARK"
            running.call(running.cluster().faults.hang)
            late = []
            with pytest.raises(httpx.ReadTimeout):
                late.extend(json.loads(line)["type"] for line in lines)
            assert set(late) <= {"BOOKMARK"}  # one already in flight may still arrive
        running.call(running.cluster().faults.clear)


def test_a_restart_keeps_the_ca_and_tokens_but_not_the_store(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    ca, token, url = running.sandbox.ca_pem, running.token(), running.url()
    kubeconfig = running.kubeconfig.read_text()
    with connect(running) as http:
        create_configmap(http, "before")
        before = current_rv(http)
    running.restart()
    assert running.url() == url
    assert running.sandbox.ca_pem == ca
    assert running.token() == token
    assert running.kubeconfig.read_text() == kubeconfig
    with connect(running, token=token) as http:  # the old CA file and the old token
        after = current_rv(http)
        assert after < before
        assert http.get(f"{CONFIGMAPS}/before").status_code == 404
