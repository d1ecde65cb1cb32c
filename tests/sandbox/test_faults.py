"""Fault injection, per cluster: dropped watches, 410 Expired, 429/5xx, latency, and the
`/sandbox/faults` admin endpoint. Real HTTP (httpx over TLS) against sandboxes of our own."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import RunningSandbox

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
Fresh = Callable[..., RunningSandbox]


def client(
    running: RunningSandbox, cluster: str = "host", user: str = "admin", token: str | None = None
) -> httpx.Client:
    context = ssl.create_default_context(cafile=running.ca_file())
    bearer = token if token is not None else running.token(cluster, user)
    return httpx.Client(
        base_url=running.url(cluster),
        verify=context,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=httpx.Timeout(10.0, read=20.0),
    )


class Watcher:
    """A watch read on its own thread and connection; `error` is how the stream ended badly."""

    def __init__(
        self, running: RunningSandbox, path: str, params: dict[str, str], cluster: str = "host"
    ) -> None:
        self.http = client(running, cluster)
        self.path = path
        self.params = {**params, "watch": "1"}
        self.events: list[dict[str, Any]] = []
        self.status: int | None = None
        self.error: BaseException | None = None
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self.http.stream("GET", self.path, params=self.params) as response:
                self.status = response.status_code
                for line in response.iter_lines():
                    if line.strip():
                        self.events.append(json.loads(line))
        except httpx.HTTPError as error:
            self.error = error
        finally:
            self.ended.set()
            self.http.close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline and not self.ended.is_set():
            time.sleep(0.02)
        return self.events

    def join(self, timeout: float = 5.0) -> bool:
        return self.ended.wait(timeout)

    def seen(self) -> list[tuple[str, str]]:
        return [(e["type"], e["object"]["metadata"]["name"]) for e in self.events]


def configmap(name: str, **data: str) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    if data:
        body["data"] = data
    return body


def list_rv(http: httpx.Client, path: str = CONFIGMAPS) -> str:
    response = http.get(path)
    assert response.status_code == 200, response.text
    return response.json()["metadata"]["resourceVersion"]


def create(http: httpx.Client, name: str, path: str = CONFIGMAPS, **data: str) -> dict[str, Any]:
    response = http.post(path, json=configmap(name, **data))
    assert response.status_code == 201, response.text
    return response.json()


def last_rv(events: list[dict[str, Any]]) -> str:
    return events[-1]["object"]["metadata"]["resourceVersion"]


def read_all(http: httpx.Client, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """A bounded watch (timeoutSeconds in params) read to its end."""
    with http.stream("GET", path, params={**params, "watch": "1"}) as response:
        assert response.status_code == 200
        return [json.loads(line) for line in response.iter_lines() if line.strip()]


# ------------------------------------------------------------------ dropped watches


def test_abrupt_drop_resets_the_connection_and_resume_loses_nothing(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    faults = running.cluster().faults
    with client(running) as http:
        rv = list_rv(http)
        watcher = Watcher(running, CONFIGMAPS, {"resourceVersion": rv})
        create(http, "before-drop")
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in watcher.wait_for(1)] == [
            ("ADDED", "before-drop")
        ]
        started = time.monotonic()
        running.call(faults.drop_watches, True)
        assert watcher.join(3.0), "the watch was not ended by drop_watches"
        assert time.monotonic() - started < 1.5
        # abrupt: the connection is closed mid-stream, no clean end of the chunked body
        assert isinstance(watcher.error, httpx.RemoteProtocolError), watcher.error
        assert watcher.seen() == [("ADDED", "before-drop")]

        # while nobody watches: a create, a change and a delete
        create(http, "while-down-1")
        patched = http.patch(
            f"{CONFIGMAPS}/before-drop",
            json={"data": {"k": "v"}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert patched.status_code == 200, patched.text
        assert http.delete(f"{CONFIGMAPS}/while-down-1").status_code == 200
        create(http, "while-down-2")

        resumed = read_all(
            http, CONFIGMAPS, {"resourceVersion": last_rv(watcher.events), "timeoutSeconds": "1"}
        )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in resumed] == [
        ("ADDED", "while-down-1"),
        ("MODIFIED", "before-drop"),
        ("DELETED", "while-down-1"),
        ("ADDED", "while-down-2"),
    ]
    assert resumed[1]["object"]["data"] == {"k": "v"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in watcher.events + resumed]
    assert rvs == sorted(rvs)
    assert len(set(rvs)) == len(rvs)


def test_clean_drop_ends_the_stream_normally(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    faults = running.cluster().faults
    with client(running) as http:
        rv = list_rv(http)
        watcher = Watcher(running, CONFIGMAPS, {"resourceVersion": rv})
        create(http, "one")
        watcher.wait_for(1)
        running.call(faults.drop_watches, False)
        assert watcher.join(3.0)
        assert watcher.error is None  # a complete chunked body, as after timeoutSeconds
        assert watcher.status == 200
        assert watcher.seen() == [("ADDED", "one")]
        create(http, "two")
        resumed = read_all(
            http, CONFIGMAPS, {"resourceVersion": last_rv(watcher.events), "timeoutSeconds": "1"}
        )
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in resumed] == [("ADDED", "two")]
        # a watch opened after the drop is not affected by it
        late = Watcher(running, CONFIGMAPS, {"resourceVersion": last_rv(resumed)})
        create(http, "three")
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in late.wait_for(1)] == [
            ("ADDED", "three")
        ]
        assert not late.ended.is_set()
        running.call(faults.drop_watches, False)
        assert late.join(3.0)
        assert late.error is None


def test_events_during_the_drop_arrive_exactly_once(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    cluster = running.cluster()
    kind = cluster.kind("", "v1", "configmaps")

    def put(index: int) -> None:
        cluster.store.create(
            kind,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"burst-{index}", "namespace": "default"},
            },
        )

    def burst_then_drop() -> None:
        for index in range(6):
            put(index)
        cluster.faults.drop_watches(True)
        for index in range(6, 10):
            put(index)

    with client(running) as http:
        rv = list_rv(http)
        watcher = Watcher(running, CONFIGMAPS, {"resourceVersion": rv})
        create(http, "sentinel")
        assert watcher.wait_for(1)
        assert watcher.seen() == [("ADDED", "sentinel")]
        running.call(burst_then_drop)
        assert watcher.join(3.0)
        first = watcher.events[1:]
        start = last_rv(watcher.events)
        rest = read_all(http, CONFIGMAPS, {"resourceVersion": start, "timeoutSeconds": "1"})
    names = [e["object"]["metadata"]["name"] for e in first + rest]
    assert names == [f"burst-{index}" for index in range(10)]


def test_drop_watches_after_limits_events_per_watch(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    cluster = running.cluster()
    kind = cluster.kind("", "v1", "configmaps")
    running.call(setattr, cluster.faults, "drop_watches_after", 2)

    def five_at_once() -> None:  # one loop turn: the watch sees them as one batch
        for index in range(5):
            cluster.store.create(
                kind,
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"limited-{index}", "namespace": "default"},
                },
            )

    with client(running) as http:
        rv = list_rv(http)
        watcher = Watcher(running, CONFIGMAPS, {"resourceVersion": rv})
        time.sleep(0.3)
        running.call(five_at_once)
        assert watcher.join(3.0)
        assert watcher.seen() == [("ADDED", "limited-0"), ("ADDED", "limited-1")]
        assert isinstance(watcher.error, httpx.RemoteProtocolError)

        second = Watcher(running, CONFIGMAPS, {"resourceVersion": last_rv(watcher.events)})
        assert second.join(3.0)
        assert second.seen() == [("ADDED", "limited-2"), ("ADDED", "limited-3")]
        third = Watcher(running, CONFIGMAPS, {"resourceVersion": last_rv(second.events)})
        assert third.wait_for(1)
        assert third.seen() == [("ADDED", "limited-4")]
        time.sleep(0.6)
        assert not third.ended.is_set()  # one event so far: under the limit, still open
        running.call(cluster.faults.drop_watches, False)
        assert third.join(3.0)
        received = watcher.events + second.events + third.events
        assert [e["object"]["metadata"]["name"] for e in received] == [
            f"limited-{index}" for index in range(5)
        ]

        running.call(cluster.faults.clear)
        assert running.call(lambda: cluster.faults.drop_watches_after) is None
        everything = read_all(http, CONFIGMAPS, {"resourceVersion": rv, "timeoutSeconds": "1"})
        assert len(everything) == 5


# ------------------------------------------------------------------ 410 Expired


def test_compaction_makes_resume_answer_410_expired(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    store = running.cluster().store
    with client(running) as http:
        old_rv = list_rv(http)
        create(http, "after-list")
        running.call(store.compact)
        with http.stream(
            "GET", CONFIGMAPS, params={"watch": "1", "resourceVersion": old_rv}
        ) as response:
            assert response.status_code == 200  # the error comes as a watch event
            lines = [json.loads(line) for line in response.iter_lines() if line.strip()]
        assert len(lines) == 1
        assert lines[0]["type"] == "ERROR"
        status = lines[0]["object"]
        assert status["kind"] == "Status"
        assert status["status"] == "Failure"
        assert status["code"] == 410
        assert status["reason"] == "Expired"
        assert status["message"].startswith(f"too old resource version: {old_rv} (")

        # a list from now on is a fine place to watch from
        fresh_rv = list_rv(http)
        watcher = Watcher(running, CONFIGMAPS, {"resourceVersion": fresh_rv})
        create(http, "after-compaction")
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in watcher.wait_for(1)] == [
            ("ADDED", "after-compaction")
        ]
        running.call(running.cluster().faults.drop_watches, False)
        watcher.join(3.0)


def test_compaction_expires_a_paged_lists_continue_token(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    with client(running) as http:
        for index in range(3):
            create(http, f"page-{index}")
        first = http.get(CONFIGMAPS, params={"limit": "1"}).json()
        token = first["metadata"]["continue"]
        create(http, "moves-the-rv")
        running.call(running.cluster().store.compact)
        response = http.get(CONFIGMAPS, params={"limit": "1", "continue": token})
    assert response.status_code == 410
    body = response.json()
    assert body["reason"] == "Expired"
    assert body["code"] == 410
    assert "continue parameter is too old" in body["message"]


def test_a_continue_token_outlives_the_watch_window_until_compaction(
    fresh_sandbox: Fresh,
) -> None:
    """etcd keeps revisions until the apiserver compacts them (every 5 minutes), whatever its
    watch window holds: a 150k-pod list under churn pages for longer than that window lasts
    (kubectl got 410 Expired half way). Only compaction expires the token."""
    running = fresh_sandbox(pods=0, kubesphere=False)
    store = running.cluster().store
    with client(running) as http:
        for index in range(3):
            create(http, f"page-{index}")
        first = http.get(CONFIGMAPS, params={"limit": "1"}).json()
        token = first["metadata"]["continue"]

        def churn_past_the_window() -> None:
            store.log_capacity = 4
            for _ in range(3):
                for name in ("page-1", "page-2"):
                    entry = store.get(("", "configmaps"), "default", name)
                    entry["data"] = {"n": str(store.rv)}
                    store.update(running.cluster().registry.storage_kind(("", "configmaps")), entry)

        running.call(churn_past_the_window)
        assert int(first["metadata"]["resourceVersion"]) < store.oldest_rv  # left the window
        response = http.get(CONFIGMAPS, params={"limit": "1", "continue": token})
        assert response.status_code == 200, response.text
        names = [item["metadata"]["name"] for item in first["items"] + response.json()["items"]]
        assert names == sorted(set(names))  # the next page, in order
        assert len(names) == 2
        running.call(store.compact)
        response = http.get(CONFIGMAPS, params={"limit": "1", "continue": token})
    assert response.status_code == 410


# ------------------------------------------------------------------ failures and latency


def test_fail_next_answers_429_with_retry_after(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    faults = running.cluster().faults
    running.call(faults.fail_next, 2, 429, retry_after=2)
    with client(running) as http:
        for _ in range(2):
            response = http.get("/api/v1/namespaces")
            assert response.status_code == 429
            assert response.headers["Retry-After"] == "2"
            body = response.json()
            assert body["kind"] == "Status"
            assert body["status"] == "Failure"
            assert body["reason"] == "TooManyRequests"
            assert body["code"] == 429
            assert body["details"]["retryAfterSeconds"] == 2
        assert http.get("/api/v1/namespaces").status_code == 200


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
        (504, "Timeout"),
    ],
)
def test_fail_next_server_errors(fresh_sandbox: Fresh, code: int, reason: str) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.call(running.cluster().faults.fail_next, 1, code)
    with client(running) as http:
        response = http.get("/api/v1/namespaces/default/configmaps")
        assert response.status_code == code
        body = response.json()
        assert (body["code"], body["reason"]) == (code, reason)
        assert "Retry-After" not in response.headers
        if code == 500:
            assert body["message"] == "Internal error occurred: injected fault"
        assert http.get("/api/v1/namespaces/default/configmaps").status_code == 200


def test_fail_next_honours_the_path_prefix(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.call(running.cluster().faults.fail_next, 1, 500, "/apis/apps/")
    with client(running) as http:
        assert http.get("/api/v1/namespaces").status_code == 200
        assert http.get("/apis/apps/v1/deployments").status_code == 500
        assert http.get("/apis/apps/v1/deployments").status_code == 200


def test_slow_delays_answers_and_clear_undoes_every_fault(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    faults = running.cluster().faults
    with client(running) as http:
        http.get("/version")  # connect first: the TLS handshake is not the delay we measure
        running.call(faults.slow, 0.5)
        started = time.monotonic()
        assert http.get("/api/v1/namespaces").status_code == 200
        assert time.monotonic() - started >= 0.5

        running.call(faults.slow, 0.5, "/apis/")
        started = time.monotonic()
        assert http.get("/api/v1/namespaces").status_code == 200
        assert time.monotonic() - started < 0.45
        started = time.monotonic()
        assert http.get("/apis/apps/v1/deployments").status_code == 200
        assert time.monotonic() - started >= 0.5

        running.call(faults.fail_next, 5, 500)
        running.call(setattr, faults, "drop_watches_after", 1)
        running.call(faults.clear)
        started = time.monotonic()
        assert http.get("/apis/apps/v1/deployments").status_code == 200
        assert time.monotonic() - started < 0.45
        assert running.call(
            lambda: (faults.latency, faults.drop_watches_after, len(faults._failures))
        ) == (0.0, None, 0)


def test_faults_on_one_cluster_leave_the_other_alone(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(clusters=2, pods=0, kubesphere=False)
    host, member = running.cluster("host").faults, running.cluster("member").faults
    with client(running, "host") as on_host, client(running, "member") as on_member:
        on_host.get("/version")
        on_member.get("/version")
        host_watch = Watcher(running, CONFIGMAPS, {"resourceVersion": list_rv(on_host)}, "host")
        member_watch = Watcher(
            running, CONFIGMAPS, {"resourceVersion": list_rv(on_member)}, "member"
        )
        create(on_host, "host-sentinel")
        create(on_member, "member-sentinel")
        assert host_watch.wait_for(1)
        assert member_watch.wait_for(1)
        running.call(host.fail_next, 1, 500)
        running.call(host.slow, 0.5)
        running.call(host.drop_watches, True)

        started = time.monotonic()
        assert on_member.get("/api/v1/namespaces").status_code == 200
        assert time.monotonic() - started < 0.45
        assert host_watch.join(3.0)
        assert isinstance(host_watch.error, httpx.RemoteProtocolError)
        create(on_member, "member-still-watched")
        assert member_watch.wait_for(2)
        assert member_watch.seen() == [
            ("ADDED", "member-sentinel"),
            ("ADDED", "member-still-watched"),
        ]
        assert not member_watch.ended.is_set()

        started = time.monotonic()
        assert on_host.get("/api/v1/namespaces").status_code == 500
        assert time.monotonic() - started >= 0.5
        assert running.call(
            lambda: (member.latency, len(member._failures), member.watch_generation)
        ) == (0.0, 0, 0)
        running.call(running.cluster("member").store.compact)
        assert running.call(lambda: running.cluster("host").store.events_since(1000)) is not None
        running.call(member.drop_watches, False)
        assert member_watch.join(3.0)
        running.call(host.clear)


# ------------------------------------------------------------------ the HTTP endpoint


def test_admin_endpoint_injects_faults_over_http(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0)
    with client(running) as admin:
        answer = admin.post(
            "/sandbox/faults", json={"action": "fail", "count": 1, "status": 429, "retryAfter": 3}
        )
        assert answer.status_code == 200
        assert answer.json() == {"ok": True, "action": "fail"}
        refused = admin.get("/api/v1/namespaces")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "3"
        assert refused.json()["reason"] == "TooManyRequests"
        assert admin.get("/api/v1/namespaces").status_code == 200

        old_rv = list_rv(admin)
        create(admin, "expire-me")
        assert admin.post("/sandbox/faults", json={"action": "expire"}).status_code == 200
        events = read_all(admin, CONFIGMAPS, {"resourceVersion": old_rv})
        assert [(e["type"], e["object"]["code"], e["object"]["reason"]) for e in events] == [
            ("ERROR", 410, "Expired")
        ]

        watcher = Watcher(running, CONFIGMAPS, {"resourceVersion": list_rv(admin)})
        create(admin, "watched")
        assert watcher.wait_for(1)
        assert (
            admin.post(
                "/sandbox/faults", json={"action": "drop-watches", "abrupt": False}
            ).status_code
            == 200
        )
        assert watcher.join(3.0)
        assert watcher.error is None

        assert (
            admin.post("/sandbox/faults", json={"action": "slow", "seconds": 0.5}).status_code
            == 200
        )
        started = time.monotonic()
        admin.get("/api/v1/namespaces")
        assert time.monotonic() - started >= 0.5
        assert admin.post("/sandbox/faults", json={"action": "clear"}).json() == {
            "ok": True,
            "action": "clear",
        }
        started = time.monotonic()
        admin.get("/api/v1/namespaces")
        assert time.monotonic() - started < 0.45

        unknown = admin.post("/sandbox/faults", json={"action": "explode"})
        assert unknown.status_code == 400
        assert unknown.json()["reason"] == "BadRequest"
        assert unknown.json()["message"] == "unknown fault action 'explode'"
        assert admin.get("/sandbox/faults").status_code == 405


def test_admin_endpoint_is_forbidden_to_the_tenant(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0)
    with client(running, user="alice") as tenant, client(running) as admin:
        refused = tenant.post("/sandbox/faults", json={"action": "slow", "seconds": 2})
        assert refused.status_code == 403
        body = refused.json()
        assert body["reason"] == "Forbidden"
        assert body["code"] == 403
        assert body["message"] == "only cluster admins may inject faults"
        assert running.call(lambda: running.cluster().faults.latency) == 0.0
        started = time.monotonic()
        assert admin.get("/api/v1/namespaces").status_code == 200
        assert time.monotonic() - started < 0.45
    context = ssl.create_default_context(cafile=running.ca_file())
    with httpx.Client(base_url=running.url(), verify=context) as anonymous:
        answer = anonymous.post("/sandbox/faults", json={"action": "clear"})
        assert answer.status_code == 401
        assert answer.json()["reason"] == "Unauthorized"


# ------------------------------------------------------------------ a real client


@pytest.mark.kubectl
def test_kubectl_wait_survives_dropped_watches(fresh_sandbox: Fresh) -> None:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed: .ci/run installs it")
    running = fresh_sandbox(pods=0, kubesphere=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    cache = running.kubeconfig.parent / "kubecache"
    env.update(
        {"KUBECONFIG": str(running.kubeconfig), "KUBECACHEDIR": str(cache), "HOME": str(cache)}
    )
    with client(running) as http:
        create(http, "flag", state="waiting")
        process = subprocess.Popen(
            [
                "kubectl",
                "wait",
                "configmap/flag",
                "-n",
                "default",
                "--for=jsonpath={.data.state}=done",
                "--timeout=30s",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # drop every watch kubectl opens for a while, abruptly and cleanly
            for index in range(8):
                time.sleep(0.3)
                running.call(running.cluster().faults.drop_watches, index % 2 == 0)
                assert process.poll() is None, process.communicate()
            patched = http.patch(
                f"{CONFIGMAPS}/flag",
                json={"data": {"state": "done"}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
            assert patched.status_code == 200
            out, err = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, err
    assert out.strip() == "configmap/flag condition met"
