"""Who the sandbox thinks is calling (tokens, expiry, client certificates, plain http), and its
simulated controllers on a frozen clock: Deployments, ReplicaSets, pod lifecycle, crash loops,
determinism per seed, and churn. Real HTTP (httpx) throughout."""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import RunningSandbox

Fresh = Callable[..., RunningSandbox]
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
REVIEW = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
NS = "ctl"
SAFE = "bcdfghjklmnpqrstvwxz2456789"
MERGE = {"Content-Type": "application/merge-patch+json"}
STRATEGIC = {"Content-Type": "application/strategic-merge-patch+json"}


def tls_context(running: RunningSandbox, cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=running.ca_file())
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


def client(
    running: RunningSandbox,
    token: str | None = None,
    user: str | None = "admin",
    cert: tuple[str, str] | None = None,
) -> httpx.Client:
    headers = {}
    if token is None and user is not None:
        token = running.token("host", user)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    verify: Any = tls_context(running, cert) if running.url().startswith("https") else False
    return httpx.Client(base_url=running.url(), verify=verify, headers=headers, timeout=20)


def whoami(http: httpx.Client) -> dict[str, Any]:
    response = http.post(WHOAMI, json=REVIEW)
    assert response.status_code == 201, response.text
    return response.json()["status"]["userInfo"]  # type: ignore[no-any-return]


def advance(running: RunningSandbox, seconds: float) -> None:
    running.call(running.cluster().clock.advance, seconds)


# ------------------------------------------------------------------ identity


def test_tokens_identify_admin_and_tenant(sandbox: RunningSandbox) -> None:
    with client(sandbox) as admin:
        assert admin.get("/api/v1/namespaces").status_code == 200
        assert whoami(admin) == {
            "username": "admin",
            "groups": ["system:masters", "system:authenticated"],
        }
    with client(sandbox, user="alice") as tenant:
        assert whoami(tenant) == {"username": "alice", "groups": ["system:authenticated"]}
        assert tenant.get("/api/v1/namespaces/shop-prod/pods").status_code == 200
        refused = tenant.get("/api/v1/namespaces")
        assert refused.status_code == 403
        assert refused.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": 'namespaces is forbidden: User "alice" cannot list resource "namespaces" '
            'in API group "" at the cluster scope',
            "reason": "Forbidden",
            "details": {"kind": "namespaces"},
            "code": 403,
        }
        path = tenant.get("/metrics")
        assert path.status_code == 403
        assert path.json()["message"] == 'forbidden: User "alice" cannot get path "/metrics"'
        assert path.json()["details"] == {}  # no resource, no kind: empty, as omitempty leaves it
    with client(sandbox, token="not-a-token") as stranger:
        response = stranger.get("/api/v1/namespaces")
        assert response.status_code == 401
        assert response.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }


def test_anonymous_over_tls_is_unauthorized_but_may_read_public_paths(
    sandbox: RunningSandbox,
) -> None:
    with client(sandbox, user=None) as anonymous:
        assert anonymous.get("/api/v1/namespaces").status_code == 401
        assert anonymous.get("/version").json()["gitVersion"] == "v1.35.2"
        assert anonymous.get("/healthz").text == "ok"


def test_a_token_expires_when_the_frozen_clock_passes_its_ttl(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    token = running.call(running.sandbox.issue_token, "host", "bob", ("system:masters",), 60)
    with client(running, token=token) as bob:
        assert whoami(bob) == {
            "username": "bob",
            "groups": ["system:masters", "system:authenticated"],
        }
        assert bob.get("/api/v1/namespaces").status_code == 200
        advance(running, 59.5)
        assert bob.get("/api/v1/namespaces").status_code == 200
        advance(running, 0.5)  # exactly at expiry: no longer valid
        expired = bob.get("/api/v1/namespaces")
        assert expired.status_code == 401
        assert expired.json()["reason"] == "Unauthorized"
        assert bob.get("/version").status_code == 401  # a bad token is never anonymous
    with client(running) as admin:  # tokens without a ttl are unaffected
        assert admin.get("/api/v1/namespaces").status_code == 200


def test_client_certificates_name_user_and_groups(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0)
    sandbox = running.sandbox
    master = running.call(sandbox.client_certificate, "carol", ("system:masters",))
    with client(running, user=None, cert=master) as carol:
        assert whoami(carol) == {
            "username": "carol",
            "groups": ["system:masters", "system:authenticated"],
        }
        assert carol.get("/api/v1/namespaces/default/pods").status_code == 200
        assert carol.get("/api/v1/namespaces").status_code == 200

    plain = running.call(sandbox.client_certificate, "dave")
    with client(running, user=None, cert=plain) as dave:
        assert whoami(dave) == {"username": "dave", "groups": ["system:authenticated"]}
        refused = dave.get("/api/v1/namespaces/default/pods")
        assert refused.status_code == 403
        assert refused.json()["message"] == (
            'pods is forbidden: User "dave" cannot list resource "pods" in API group "" in the '
            'namespace "default"'
        )
        assert refused.json()["details"] == {"kind": "pods"}

    several = running.call(sandbox.client_certificate, "erin", ("dev", "ops"))
    with client(running, user=None, cert=several) as erin:
        assert whoami(erin) == {
            "username": "erin",
            "groups": ["dev", "ops", "system:authenticated"],
        }

    # RBAC bound to a group from the certificate's O applies to its holder
    with client(running) as admin:
        bound = admin.post(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
            json={
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "ops-view"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "view",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "ops"}
                ],
            },
        )
        assert bound.status_code == 201, bound.text
    with client(running, user=None, cert=several) as erin:
        assert erin.get("/api/v1/namespaces/default/pods").status_code == 200
        assert erin.get("/api/v1/namespaces/kube-system/pods").status_code == 403


def test_plain_http_treats_anonymous_as_admin(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(tls=False, pods=0, kubesphere=False)
    assert running.url().startswith("http://")
    with client(running, user=None) as anonymous:
        assert whoami(anonymous) == {
            "username": "system:admin",
            "groups": ["system:masters", "system:authenticated"],
        }
        assert anonymous.get("/api/v1/namespaces").status_code == 200
        made = anonymous.post(
            "/api/v1/namespaces/default/configmaps",
            json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "insecure"}},
        )
        assert made.status_code == 201
    with client(running, user="alice") as tenant:  # a token still names its user
        assert whoami(tenant)["username"] == "alice"
        assert tenant.get("/api/v1/namespaces").status_code == 403


# ------------------------------------------------------------------ controllers (frozen clock)


def deployment(name: str, replicas: int, *containers: tuple[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": c, "image": image} for c, image in containers]},
            },
        },
    }


def setup_namespace(http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/namespaces",
        json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
    )
    assert response.status_code == 201, response.text


def items(http: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda o: o["metadata"]["name"])


def pods(http: httpx.Client, app: str) -> list[dict[str, Any]]:
    return items(http, f"/api/v1/namespaces/{NS}/pods", labelSelector=f"app={app}")


def replicasets(http: httpx.Client) -> list[dict[str, Any]]:
    return items(http, f"/apis/apps/v1/namespaces/{NS}/replicasets")


def image_id(repository: str, image: str) -> str:
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def test_a_deployment_makes_a_replicaset_owning_pods_that_start(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    with client(running) as http:
        setup_namespace(http)
        made = http.post(
            f"/apis/apps/v1/namespaces/{NS}/deployments",
            json=deployment("web", 3, ("nginx", "nginx:1.27"), ("agent", "ghcr.io/acme/agent:2.1")),
        )
        assert made.status_code == 201, made.text
        owner = made.json()

        [rs] = replicasets(http)
        template_hash = rs["metadata"]["labels"]["pod-template-hash"]
        assert rs["metadata"]["name"] == f"web-{template_hash}"
        # rand.SafeEncodeString of a decimal uint32: only these characters can occur
        assert re.fullmatch(r"[4-9bcdf]{1,10}", template_hash), template_hash
        assert rs["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "web",
                "uid": owner["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
        assert rs["spec"]["replicas"] == 3
        assert rs["spec"]["selector"]["matchLabels"] == {
            "app": "web",
            "pod-template-hash": template_hash,
        }

        created = pods(http, "web")
        assert len(created) == 3
        for pod in created:
            name = pod["metadata"]["name"]
            assert re.fullmatch(rf"web-{template_hash}-[{SAFE}]{{5}}", name), name
            assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
            assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
            assert pod["metadata"]["labels"]["pod-template-hash"] == template_hash
            assert pod["status"]["phase"] == "Pending"
            # scheduled, but never onto the control plane: its NoSchedule taint is not tolerated
            assert pod["spec"]["nodeName"] in ("host-worker-1", "host-worker-2")
            assert "podIP" not in pod["status"]
            assert [s["state"] for s in pod["status"]["containerStatuses"]] == [
                {"waiting": {"reason": "ContainerCreating"}}
            ] * 2
            assert {s["ready"] for s in pod["status"]["containerStatuses"]} == {False}

        advance(running, 5)
        started = pods(http, "web")
        assert [p["metadata"]["name"] for p in started] == [p["metadata"]["name"] for p in created]
        ips = set()
        for pod in started:
            status = pod["status"]
            assert status["phase"] == "Running"
            assert re.fullmatch(r"10\.244\.\d+\.\d+", status["podIP"])
            assert status["podIPs"] == [{"ip": status["podIP"]}]
            ips.add(status["podIP"])
            ready = {c["type"]: c["status"] for c in status["conditions"]}
            assert ready["Ready"] == "True"
            assert ready["ContainersReady"] == "True"
            nginx, agent = status["containerStatuses"]
            assert (
                nginx["name"],
                nginx["image"],
                nginx["ready"],
                nginx["restartCount"],
                nginx["started"],
            ) == ("nginx", "nginx:1.27", True, 0, True)
            assert nginx["imageID"] == image_id("docker.io/library/nginx", "nginx:1.27")
            assert agent["imageID"] == image_id("ghcr.io/acme/agent", "ghcr.io/acme/agent:2.1")
            assert set(nginx["state"]) == {"running"}
            assert nginx["state"]["running"]["startedAt"].startswith("2026-01-15T12:00:0")
        assert len(ips) == 3

        status = http.get(f"/apis/apps/v1/namespaces/{NS}/deployments/web").json()["status"]
        assert (
            status["observedGeneration"],
            status["replicas"],
            status["updatedReplicas"],
            status["readyReplicas"],
            status["availableReplicas"],
        ) == (1, 3, 3, 3, 3)
        first = started[0]["metadata"]["name"]
        reasons = [
            e["reason"]
            for e in items(
                http,
                f"/api/v1/namespaces/{NS}/events",
                fieldSelector=f"involvedObject.name={first}",
            )
        ]
        assert sorted(reasons) == [
            "Created",
            "Created",
            "Pulled",
            "Pulled",
            "Scheduled",
            "Started",
            "Started",
        ]


def test_rollout_restart_and_scale_replace_and_remove_pods(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/api"
    with client(running) as http:
        setup_namespace(http)
        assert (
            http.post(
                f"/apis/apps/v1/namespaces/{NS}/deployments",
                json=deployment("api", 3, ("api", "ghcr.io/acme/api:1.0")),
            ).status_code
            == 201
        )
        advance(running, 5)
        [old_rs] = replicasets(http)
        old_pods = {p["metadata"]["name"] for p in pods(http, "api")}
        assert len(old_pods) == 3

        # what `kubectl rollout restart` sends
        restarted = http.patch(
            path,
            headers=STRATEGIC,
            json={
                "spec": {
                    "template": {
                        "metadata": {
                            "annotations": {
                                "kubectl.kubernetes.io/restartedAt": "2026-01-15T12:00:05Z"
                            }
                        }
                    }
                }
            },
        )
        assert restarted.status_code == 200, restarted.text
        assert restarted.json()["metadata"]["generation"] == 2
        sets = {rs["metadata"]["name"]: rs for rs in replicasets(http)}
        assert len(sets) == 2
        new_rs = next(rs for name, rs in sets.items() if name != old_rs["metadata"]["name"])
        assert new_rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
        assert new_rs["spec"]["template"]["metadata"]["annotations"] == {
            "kubectl.kubernetes.io/restartedAt": "2026-01-15T12:00:05Z"
        }
        assert sets[old_rs["metadata"]["name"]]["spec"]["replicas"] == 0
        assert new_rs["spec"]["replicas"] == 3
        replaced = pods(http, "api")
        assert len(replaced) == 3
        assert not old_pods & {p["metadata"]["name"] for p in replaced}
        assert all(
            p["metadata"]["name"].startswith(new_rs["metadata"]["name"] + "-") for p in replaced
        )
        assert {p["status"]["phase"] for p in replaced} == {"Pending"}
        advance(running, 5)
        assert {p["status"]["phase"] for p in pods(http, "api")} == {"Running"}
        status = http.get(path).json()["status"]
        assert (
            status["observedGeneration"],
            status["updatedReplicas"],
            status["availableReplicas"],
        ) == (2, 3, 3)

        scaled = http.patch(f"{path}/scale", headers=MERGE, json={"spec": {"replicas": 1}})
        assert scaled.status_code == 200, scaled.text
        assert scaled.json()["kind"] == "Scale"
        assert scaled.json()["spec"]["replicas"] == 1
        left = pods(http, "api")
        assert len(left) == 1
        assert left[0]["status"]["phase"] == "Running"
        rs_now = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in replicasets(http)}
        assert rs_now == {old_rs["metadata"]["name"]: 0, new_rs["metadata"]["name"]: 1}
        status = http.get(path).json()["status"]
        assert (status["replicas"], status["availableReplicas"]) == (1, 1)
        deletions = [
            e
            for e in items(
                http,
                f"/api/v1/namespaces/{NS}/events",
                fieldSelector=f"involvedObject.name={new_rs['metadata']['name']}",
            )
            if e["reason"] == "SuccessfulDelete"
        ]
        assert len(deletions) == 2
        assert all(e["count"] == 1 for e in deletions)


def test_a_crash_annotated_pod_crash_loops_with_growing_back_off(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    path = f"/api/v1/namespaces/{NS}/pods/crashy"
    with client(running) as http:
        setup_namespace(http)
        made = http.post(
            f"/api/v1/namespaces/{NS}/pods",
            json={
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "crashy", "annotations": {"sandbox.kstui.io/crash": "true"}},
                "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
            },
        )
        assert made.status_code == 201, made.text
        uid = made.json()["metadata"]["uid"]

        def state() -> tuple[str, int, dict[str, Any], str]:
            pod = http.get(path).json()
            [container] = pod["status"]["containerStatuses"]
            ready = next(c["status"] for c in pod["status"]["conditions"] if c["type"] == "Ready")
            return pod["status"]["phase"], container["restartCount"], container, ready

        def back_offs() -> list[dict[str, Any]]:
            return [
                e
                for e in items(
                    http,
                    f"/api/v1/namespaces/{NS}/events",
                    fieldSelector="involvedObject.name=crashy",
                )
                if e["reason"] == "BackOff"
            ]

        advance(running, 5)
        phase, restarts, container, ready = state()
        assert (phase, restarts, ready) == ("Running", 0, "True")
        assert back_offs() == []

        seen_last: list[str] = []
        # run 6 s, crash, wait out a back-off of 10 s, 20 s, 40 s
        for crash, back_off in enumerate((10, 20, 40), start=1):
            advance(running, 6)
            phase, restarts, container, ready = state()
            assert (phase, restarts, ready) == ("Running", crash, "False")
            assert container["state"] == {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {back_off}s restarting failed container=app "
                    f"pod=crashy_{NS}({uid})",
                }
            }
            assert container["lastState"]["terminated"]["exitCode"] == 1
            assert container["lastState"]["terminated"]["reason"] == "Error"
            [event] = back_offs()
            assert (event["type"], event["count"]) == ("Warning", crash)
            assert event["involvedObject"]["fieldPath"] == "spec.containers{app}"
            assert event["source"]["component"] == "kubelet"
            assert event["message"] == (
                f"Back-off restarting failed container app in pod crashy_{NS}({uid})"
            )
            seen_last.append(event["lastTimestamp"])
            advance(running, back_off)
            phase, restarts, container, ready = state()
            assert (phase, restarts, ready) == ("Running", crash, "True")
            assert set(container["state"]) == {"running"}
        assert seen_last == sorted(seen_last)
        assert len(set(seen_last)) == 3
        assert back_offs()[0]["firstTimestamp"] < seen_last[-1]


def _world(running: RunningSandbox) -> tuple[list[tuple[str, ...]], list[str]]:
    with client(running) as http:
        setup_namespace(http)
        assert (
            http.post(
                f"/apis/apps/v1/namespaces/{NS}/deployments",
                json=deployment("web", 2, ("nginx", "nginx:1.27")),
            ).status_code
            == 201
        )
        advance(running, 5)
        everything = items(http, "/api/v1/pods")
        sets = [rs["metadata"]["name"] for rs in items(http, "/apis/apps/v1/replicasets")]
    return (
        [
            (
                p["metadata"]["namespace"],
                p["metadata"]["name"],
                p["metadata"]["uid"],
                p["status"]["phase"],
                p["status"].get("podIP", ""),
            )
            for p in everything
        ],
        sets,
    )


def test_the_same_seed_makes_the_same_cluster(fresh_sandbox: Fresh) -> None:
    one = _world(fresh_sandbox(frozen=True, seed=7, pods=20))
    two = _world(fresh_sandbox(frozen=True, seed=7, pods=20))
    other = _world(fresh_sandbox(frozen=True, seed=8, pods=20))
    assert len(one[0]) > 20
    assert one == two
    assert {p[2] for p in one[0]}.isdisjoint({p[2] for p in other[0]})  # no uid in common
    assert {p[1] for p in one[0]} != {p[1] for p in other[0]}
    assert [p for p in one[0] if p[0] == NS] != [p for p in other[0] if p[0] == NS]


def test_churn_makes_status_changes_at_about_its_rate(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(churn=50, pods=40, kubesphere=False)
    with client(running) as http:
        started = time.monotonic()
        listed = http.get("/api/v1/pods").json()
        generations = {p["metadata"]["name"]: p["metadata"]["generation"] for p in listed["items"]}
        # everything from the list's resourceVersion until the server ends the watch (~2 s)
        with http.stream(
            "GET",
            "/api/v1/pods",
            params={
                "watch": "1",
                "resourceVersion": listed["metadata"]["resourceVersion"],
                "timeoutSeconds": "2",
            },
        ) as response:
            events = [json.loads(line) for line in response.iter_lines() if line.strip()]
        elapsed = time.monotonic() - started
    assert 1.9 <= elapsed < 4
    assert {event["type"] for event in events} == {"MODIFIED"}
    rate = len(events) / elapsed
    assert 35 <= rate <= 65, (len(events), elapsed)
    for event in events:  # status only: spec untouched, generation unchanged
        meta = event["object"]["metadata"]
        assert meta["generation"] == generations[meta["name"]]
        assert event["object"]["status"]["phase"] == "Running"


def _agrees(pod: dict[str, Any]) -> None:
    """What describe and YAML say matches what the table shows: only a running container may
    be ready or started, and Ready/ContainersReady are True exactly when all are ready."""
    statuses = pod["status"]["containerStatuses"]
    for status in statuses:
        running = set(status["state"]) == {"running"}
        assert status["started"] == running, status
        assert not status["ready"] or running, status
    ready = "True" if all(s["ready"] for s in statuses) else "False"
    conditions = {c["type"]: c for c in pod["status"]["conditions"]}
    for kind in ("Ready", "ContainersReady"):
        assert conditions[kind]["status"] == ready, (kind, statuses, conditions[kind])
        assert (conditions[kind].get("reason") == "ContainersNotReady") == (ready == "False")


def test_a_crash_looping_pod_is_never_ready_under_churn(fresh_sandbox: Fresh) -> None:
    """The demo's churn flaps readiness: never onto a container waiting in CrashLoopBackOff."""
    from kstui.sandbox.controllers.churn import Churn

    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    churn = Churn(running.cluster(), rate=0, seed=1)
    path = f"/api/v1/namespaces/{NS}/pods/crashy"

    def stir() -> None:
        store = running.cluster().store
        kind = running.cluster().registry.storage_kind(("", "pods"))
        for _ in range(40):
            pod = store.get(("", "pods"), NS, "crashy")
            churn._mutate(pod)
            store.update(kind, pod, subresource="status", check_rv=False)

    with client(running) as http:
        setup_namespace(http)
        made = http.post(
            f"/api/v1/namespaces/{NS}/pods",
            json={
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "crashy", "annotations": {"sandbox.kstui.io/crash": "true"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "busybox:1.36"},
                        {"name": "side", "image": "busybox:1.36"},
                    ]
                },
            },
        )
        assert made.status_code == 201, made.text
        advance(running, 5)  # running, before its first crash
        seen = []
        for step in (0, 6, 5, 5, 6, 20):  # crash, back-off, restarted, crash, restarted
            advance(running, step)
            _agrees(http.get(path).json())
            running.call(stir)
            pod = http.get(path).json()
            _agrees(pod)
            seen.append(set(pod["status"]["containerStatuses"][0]["state"]))
        assert {"waiting"} in seen
        assert {"running"} in seen


def test_a_churn_restart_starts_a_new_run_and_ends_the_old_one(fresh_sandbox: Fresh) -> None:
    """A restart under churn is kubelet's: the killed run ran from the old start until now, and
    the running state starts now (not days ago beside a '0s ago' restart)."""
    from kstui.sandbox.controllers.churn import Churn

    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    churn = Churn(running.cluster(), rate=0, seed=3)
    path = f"/api/v1/namespaces/{NS}/pods/steady"
    with client(running) as http:
        setup_namespace(http)
        made = http.post(
            f"/api/v1/namespaces/{NS}/pods",
            json={
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "steady"},
                "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
            },
        )
        assert made.status_code == 201, made.text
        advance(running, 30)
        first = http.get(path).json()["status"]["containerStatuses"][0]
        started = first["state"]["running"]["startedAt"]
        advance(running, 60)

        def stir() -> None:
            store = running.cluster().store
            kind = running.cluster().registry.storage_kind(("", "pods"))
            for _ in range(40):  # one in five mutations restarts: 40 make one all but certain
                pod = store.get(("", "pods"), NS, "steady")
                churn._mutate(pod)
                store.update(kind, pod, subresource="status", check_rv=False)

        running.call(stir)
        status = http.get(path).json()["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 1
    killed = status["lastState"]["terminated"]
    now = killed["finishedAt"]
    assert killed["startedAt"] <= now
    assert killed["startedAt"] >= started
    assert status["state"]["running"]["startedAt"] == now
    assert now > started


def test_a_seeded_crash_looping_pod_last_ran_minutes_ago(fresh_sandbox: Fresh) -> None:
    """RESTARTS reads "41 (3m ago)" for a crash loop, as kubectl shows one: its last run ended
    within the back-off cap (5m), not when the pod first started days ago."""
    from kstui.sandbox.clock import parse_time

    running = fresh_sandbox(frozen=True, pods=120, kubesphere=False)
    now = running.call(lambda: running.cluster().clock.now()).timestamp()
    with client(running) as http:
        pods = http.get("/api/v1/pods").json()["items"]
    looping = [
        status
        for pod in pods
        for status in pod["status"].get("containerStatuses", [])
        if status["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff"
    ]
    assert looping
    for status in looping:
        ended = parse_time(status["lastState"]["terminated"]["finishedAt"])
        assert ended is not None
        assert 0 <= now - ended.timestamp() <= 300, status


def test_a_pod_the_quota_refuses_is_a_failed_create_on_its_replicaset(
    fresh_sandbox: Fresh,
) -> None:
    """As kube's replicaset-controller says it: a Warning FailedCreate event naming the quota,
    and a ReplicaFailure condition, never a ReplicaSet that silently stays at 0 pods."""
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    with client(running) as http:
        setup_namespace(http)
        quota = http.post(
            f"/api/v1/namespaces/{NS}/resourcequotas",
            json={
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "limits"},
                "spec": {"hard": {"limits.cpu": "2"}},
            },
        )
        assert quota.status_code == 201, quota.text
        made = http.post(
            f"/apis/apps/v1/namespaces/{NS}/deployments",
            json={
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "nolimits"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": "nolimits"}},
                    "template": {
                        "metadata": {"labels": {"app": "nolimits"}},
                        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
                    },
                },
            },
        )
        assert made.status_code == 201, made.text
        advance(running, 1)
        sets = items(http, f"/apis/apps/v1/namespaces/{NS}/replicasets")
        assert len(sets) == 1
        condition = sets[0]["status"]["conditions"][0]
        assert (condition["type"], condition["reason"]) == ("ReplicaFailure", "FailedCreate")
        assert "must specify limits.cpu" in condition["message"]
        events = items(http, f"/api/v1/namespaces/{NS}/events")
        failed = [e for e in events if e["reason"] == "FailedCreate"]
        assert failed
        assert failed[0]["type"] == "Warning"
        assert failed[0]["message"].startswith("Error creating: ")


def test_a_seeded_crash_loops_back_off_event_was_last_seen_minutes_ago(
    fresh_sandbox: Fresh,
) -> None:
    """The events agree with the pods: a crash loop's BackOff warning is as recent as its
    last run, not as old as the pod."""
    from kstui.sandbox.clock import parse_time

    running = fresh_sandbox(frozen=True, pods=120, kubesphere=False)
    now = running.call(lambda: running.cluster().clock.now()).timestamp()
    with client(running) as http:
        events = http.get("/api/v1/events").json()["items"]
    back_offs = [e for e in events if e["reason"] == "BackOff"]
    assert back_offs
    for event in back_offs:
        seen = parse_time(event["lastTimestamp"])
        assert seen is not None
        assert 0 <= now - seen.timestamp() <= 300, event["lastTimestamp"]


def test_a_pod_status_change_decodes_the_pod_not_its_siblings(fresh_sandbox: Fresh) -> None:
    """At 150,000 pods a ReplicaSet has 150 of them: reconciling it at each pod event decoded
    every one (200 events/s kept the sandbox's CPU busy and its lists 2 s a page). A pod's
    (deleting, ready) is read once per version of it; the status still follows."""
    from kstui.sandbox.controllers.workloads import ReplicaSetController
    from kstui.sandbox.store import Entry

    running = fresh_sandbox(pods=400, kubesphere=False)
    cluster = running.cluster()
    store = cluster.store
    pods, replicasets = ("", "pods"), ("apps", "replicasets")
    decoded: list[str] = []
    decode, reconciled = Entry.decode, ReplicaSetController.reconcile
    inside: list[object] = []

    def change_one() -> tuple[str, str, int]:
        for namespace, name in store.sorted_keys(pods):
            pod = store.get(pods, namespace, name)
            assert pod is not None
            owners = pod["metadata"].get("ownerReferences") or [{}]
            rs = store.get(replicasets, namespace, owners[0].get("name", ""))
            if rs is not None and rs["spec"]["replicas"] >= 8 and rs["status"].get("readyReplicas"):
                break
        else:
            raise AssertionError("no ReplicaSet of 8 pods")

        def counted(entry: Entry) -> dict[str, Any]:
            if inside:  # what the ReplicaSet controller decodes
                decoded.append(entry.name)
            return decode(entry)

        def reconcile(self: ReplicaSetController, key: Any) -> None:
            inside.append(key)
            try:
                reconciled(self, key)
            finally:
                inside.pop()

        Entry.decode = counted  # type: ignore[method-assign]
        ReplicaSetController.reconcile = reconcile  # type: ignore[method-assign]
        for condition in pod["status"]["conditions"]:
            if condition["type"] == "Ready":
                condition["status"] = "False"
        store.update(cluster.registry.storage_kind(pods), pod, subresource="status")
        return namespace, rs["metadata"]["name"], rs["status"]["readyReplicas"]

    try:
        namespace, rs_name, ready = running.call(change_one)
        time.sleep(0.5)  # the controllers run on the sandbox's loop
    finally:
        running.call(lambda: setattr(Entry, "decode", decode))
        running.call(lambda: setattr(ReplicaSetController, "reconcile", reconciled))
    rs = running.call(lambda: store.get(replicasets, namespace, rs_name))
    assert rs["status"].get("readyReplicas", 0) == ready - 1
    siblings = [name for name in decoded if name.startswith(f"{rs_name}-")]
    assert len(siblings) <= 1, decoded  # the changed pod, not the other 7+
