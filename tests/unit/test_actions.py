"""Pure helpers behind the resource actions: merge patches, selectors, owners, containers."""

from __future__ import annotations

from kstui.backends.actions import (
    containers_of,
    controller_of,
    merge_patch,
    pod_selector,
    strip_volatile,
)


def test_merge_patch_carries_only_the_users_changes() -> None:
    before = {
        "spec": {"replicas": 1, "paused": False, "template": {"x": [1, 2]}},
        "metadata": {"labels": {"a": "1", "b": "2"}},
    }
    after = {
        "spec": {"replicas": 3, "template": {"x": [1, 2, 3]}},
        "metadata": {"labels": {"a": "1", "c": "3"}},
    }
    assert merge_patch(before, after) == {
        "spec": {"replicas": 3, "paused": None, "template": {"x": [1, 2, 3]}},
        "metadata": {"labels": {"b": None, "c": "3"}},
    }
    assert merge_patch(before, before) == {}


def test_strip_volatile_drops_server_fields() -> None:
    obj = {
        "metadata": {"name": "x", "resourceVersion": "9", "managedFields": [], "uid": "u"},
        "spec": {},
        "status": {"ready": True},
    }
    assert strip_volatile(obj) == {"metadata": {"name": "x"}, "spec": {}}
    assert obj["status"] == {"ready": True}


def test_pod_selectors() -> None:
    deploy = {
        "kind": "Deployment",
        "spec": {
            "selector": {
                "matchLabels": {"app": "api", "tier": "web"},
                "matchExpressions": [
                    {"key": "env", "operator": "In", "values": ["a", "b"]},
                    {"key": "canary", "operator": "DoesNotExist"},
                ],
            }
        },
    }
    assert pod_selector(deploy) == "app=api,tier=web,env in (a,b),!canary"
    assert pod_selector({"kind": "Service", "spec": {"selector": {"app": "x"}}}) == "app=x"
    assert pod_selector({"kind": "Service", "spec": {}}) is None
    assert pod_selector({"kind": "ConfigMap"}) is None


def test_controller_prefers_the_controlling_owner() -> None:
    obj = {
        "metadata": {
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": "n"},
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "controller": True},
            ]
        }
    }
    assert controller_of(obj) == ("apps/v1", "ReplicaSet", "rs")
    assert controller_of({"metadata": {}}) is None


def test_containers_of_a_pod() -> None:
    pod = {
        "spec": {
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [{"name": "app", "image": "nginx:1"}],
        },
        "status": {
            "initContainerStatuses": [
                {"name": "init", "ready": False, "state": {"terminated": {"reason": "Completed"}}}
            ],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                }
            ],
        },
    }
    init, app = containers_of(pod)
    assert (init.name, init.init, init.state) == ("init", True, "terminated:Completed")
    assert (app.image, app.restarts, app.state) == ("nginx:1", 4, "waiting:CrashLoopBackOff")
