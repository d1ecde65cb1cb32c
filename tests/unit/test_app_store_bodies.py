"""The app store's exact bodies (API.md §2.3, §2.5, §2.1), its listing rules, the values checks
(YAML with its line, the chart's schema over its defaults) and a chart archive read in memory."""

from __future__ import annotations

import base64

from kstui.backends.app_bodies import (
    MANUAL_TRIGGER,
    check_values,
    decode_values,
    merged,
    release_body,
    repo_body,
    upgrade_patch,
)
from kstui.backends.app_charts import read_archive
from kstui.backends.app_store import (
    AppRow,
    CategoryRow,
    app_row,
    categories_of,
    release_row,
    store_apps,
    version_row,
    versions_of,
)
from tests.app_store_seeds import SCHEMA, chart_archive

REDIS = version_row(
    {
        "metadata": {
            "name": "bitnami-redis-20.1.3",
            "labels": {
                "application.kubesphere.io/app-id": "bitnami-redis",
                "application.kubesphere.io/repo-name": "bitnami",
            },
        },
        "spec": {"versionName": "20.1.3", "appType": "helm", "pullUrl": "https://x/r.tgz"},
        "status": {"state": "active"},
    }
)


def test_release_body_is_the_object_the_console_creates() -> None:
    values = "architecture: standalone\nauth:\n  enabled: true\n"
    body = release_body(
        "shop-cache",
        workspace="acme-retail",
        cluster="host",
        namespace="shop-staging",
        version=REDIS,
        values=values,
        creator="alice",
        alias="Shop cache",
    )
    assert body == {
        "apiVersion": "application.kubesphere.io/v2",
        "kind": "ApplicationRelease",
        "metadata": {
            "name": "shop-cache",
            "labels": {
                "kubesphere.io/cluster": "host",
                "kubesphere.io/workspace": "acme-retail",
                "kubesphere.io/namespace": "shop-staging",
                "application.kubesphere.io/app-id": "bitnami-redis",
                "application.kubesphere.io/appversion-id": "bitnami-redis-20.1.3",
                "application.kubesphere.io/app-type": "helm",
            },
            "annotations": {
                "kubesphere.io/creator": "alice",
                "application.kubesphere.io/app-versionName": "20.1.3",
                "kubesphere.io/alias-name": "Shop cache",
            },
        },
        "spec": {
            "appID": "bitnami-redis",
            "appVersionID": "bitnami-redis-20.1.3",  # exact case: appVersionId is pruned
            "appType": "helm",
            "values": base64.b64encode(values.encode()).decode(),
        },
    }
    assert decode_values(body["spec"]["values"]) == values


def test_upgrade_patch_moves_version_values_label_and_annotation_together() -> None:
    release = release_row(
        {
            "metadata": {"name": "shop-cache", "resourceVersion": "42", "labels": {}},
            "spec": {"appID": "bitnami-redis", "appVersionID": "bitnami-redis-19.6.4"},
        }
    )
    assert upgrade_patch(release, REDIS, "a: 1\n") == {
        "metadata": {
            "resourceVersion": "42",
            "labels": {"application.kubesphere.io/appversion-id": "bitnami-redis-20.1.3"},
            "annotations": {"application.kubesphere.io/app-versionName": "20.1.3"},
        },
        "spec": {"appVersionID": "bitnami-redis-20.1.3", "values": "YTogMQo="},
    }
    assert MANUAL_TRIGGER == {"status": {"state": "manualTrigger"}}


def test_repo_body_carries_the_credential_the_controller_reads() -> None:
    body = repo_body(
        "private",
        "https://charts.example.com",
        workspace="acme-retail",
        creator="admin",
        username="u",
        password="p",
        sync_period=600,
    )
    assert body["metadata"] == {
        "name": "private",
        "labels": {"kubesphere.io/workspace": "acme-retail"},
        "annotations": {"kubesphere.io/creator": "admin"},
    }
    assert body["spec"] == {
        "url": "https://charts.example.com",
        "syncPeriod": 600,
        "credential": {"username": "u", "password": "p"},
    }


def test_values_are_checked_for_yaml_then_against_the_schema_over_the_defaults() -> None:
    defaults = "replicaCount: 1\nimage:\n  tag: '1.0'\n"
    assert check_values("", SCHEMA, defaults) == []  # the defaults satisfy `required`
    assert [str(p) for p in check_values("", SCHEMA)] == ["'replicaCount' is a required property"]
    assert [str(p) for p in check_values("image:\n  tag: 2\n", SCHEMA, defaults)] == [
        "line 2: image.tag: 2 is not of type 'string'"
    ]
    assert [str(p) for p in check_values("replicaCount: 0\n", SCHEMA, defaults)] == [
        "line 1: replicaCount: 0 is less than the minimum of 1"
    ]
    (broken,) = check_values("a: 1\nb: [2\n", SCHEMA, defaults)
    assert broken.line == 3
    assert str(broken).startswith("line 3: not YAML:")
    assert [str(p) for p in check_values("- 1\n", None)] == [
        "line 1: values must be a mapping, not a list"
    ]
    assert merged({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"b": 3}, "d": None}) == {
        "a": {"b": 3, "c": 2}
    }


def test_a_chart_archive_is_read_in_memory() -> None:
    files = read_archive("http://x/demo.tgz", chart_archive("demo", "1.2.3"))
    assert files.problem == ""
    assert files.metadata["version"] == "1.2.3"
    assert files.values.startswith("replicaCount: 1")
    assert files.readme.startswith("# demo")
    assert files.schema == SCHEMA
    bad = read_archive("http://x/bad.tgz", b"not a tar")
    assert bad.problem.startswith("http://x/bad.tgz is not a chart archive")


def _app(name: str, category: str, state: str = "active", alias: str = "") -> AppRow:
    return app_row(
        {
            "metadata": {
                "name": name,
                "labels": {"application.kubesphere.io/app-category-name": category},
                "annotations": {"kubesphere.io/alias-name": alias or name},
            },
            "status": {"state": state},
        }
    )


def test_the_store_lists_active_apps_grouped_and_searched() -> None:
    apps = [
        _app("redis", "databases"),
        _app("postgresql", "databases", alias="PostgreSQL"),
        _app("nginx", "web"),
        _app("draft-db", "databases", state="draft"),
    ]
    assert [a.name for a in store_apps(apps)] == ["nginx", "postgresql", "redis"]
    assert [a.name for a in store_apps(apps, category="databases")] == ["postgresql", "redis"]
    assert [a.name for a in store_apps(apps, search="POST")] == ["postgresql"]
    assert [a.name for a in store_apps(apps, everything=True, search="db")] == ["draft-db"]
    listed = categories_of([CategoryRow("databases", "Databases", "", 0)], apps)
    assert [(c.name, c.apps) for c in listed] == [
        ("databases", 2),
        ("web", 1),
        ("kubesphere-app-uncategorized", 0),
    ]
    older = version_row(
        {
            "metadata": {
                "name": "bitnami-redis-19.6.4",
                "labels": {"application.kubesphere.io/app-id": "bitnami-redis"},
            },
            "spec": {"versionName": "19.6.4"},
            "status": {"state": "suspended"},
        }
    )
    assert versions_of([older, REDIS], "bitnami-redis") == [REDIS]
    assert len(versions_of([older, REDIS], "bitnami-redis", everything=True)) == 2


def test_helm_error_reads_the_reason_out_of_helms_job_log() -> None:
    from kstui.backends.app_store import helm_error

    log = [
        "history.go:56: [debug] getting history for release lab-broken",
        'Release "lab-broken" does not exist. Installing it now.',
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):",
        "broken-app:",
        "- database: host is required",
        "helm.go:84: [debug] values don't meet the specifications of the schema(s)",
    ]
    assert helm_error(log) == (
        "values don't meet the specifications of the schema(s) in the following chart(s): "
        "broken-app: - database: host is required"
    )
    assert helm_error(["install.go:214: [debug] Original chart version"]) == ""
