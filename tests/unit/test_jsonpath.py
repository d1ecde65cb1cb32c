"""The JSONPath subset used by CRD printer columns."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kstui.sandbox import jsonpath

CRD_DIR = Path(__file__).resolve().parents[2] / "kstui" / "sandbox" / "data" / "crds"

OBJ = {
    "metadata": {
        "name": "run-1",
        "labels": {"kubesphere.io/workspace": "acme-retail"},
        "annotations": {"kubesphere.io/alias-name": "Shop", "devops.kubesphere.io/id": "12"},
    },
    "spec": {
        "hosts": ["reviews", "ratings"],
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}],
        "empty": None,
    },
    "status": {
        "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "Synced", "status": "False"},
        ],
        "total": 0,
    },
}


def _crd_json_paths() -> list[str]:
    paths = []
    for file in sorted(CRD_DIR.glob("*.yaml")):
        for crd in yaml.safe_load_all(file.read_text()):
            for version in (crd or {}).get("spec", {}).get("versions", []):
                paths += [c["jsonPath"] for c in version.get("additionalPrinterColumns") or []]
    return paths


def test_the_crds_declare_printer_columns() -> None:
    assert len(_crd_json_paths()) >= 40


@pytest.mark.parametrize("path", sorted(set(_crd_json_paths())))
def test_every_crd_printer_column_parses(path: str) -> None:
    assert jsonpath.parse(path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".metadata.name", ["run-1"]),
        ("metadata.name", ["run-1"]),
        ("{.metadata.name}", ["run-1"]),
        ("$.metadata.name", ["run-1"]),
        (r".metadata.labels.kubesphere\.io/workspace", ["acme-retail"]),
        (".metadata.annotations['kubesphere.io/alias-name']", ["Shop"]),
        ('.metadata.annotations["devops.kubesphere.io/id"]', ["12"]),
        (".spec.hosts", [["reviews", "ratings"]]),
        (".spec.hosts[0]", ["reviews"]),
        (".spec.hosts[-1]", ["ratings"]),
        (".spec.hosts[*]", ["reviews", "ratings"]),
        (".spec.ports[*].port", [80, 443]),
        (".spec.ports[1:].name", ["https"]),
        (".spec.ports[0:1].name", ["http"]),
        (".spec.empty", [None]),
        (".status.total", [0]),
        ('.status.conditions[?(@.type=="Ready")].status', ["True"]),
        (".status.conditions[?(@.type=='Synced')].status", ["False"]),
        ('.status.conditions[?(@.type!="Ready")].type', ["Synced"]),
        (".spec.ports[?(@.port>100)].name", ["https"]),
        (".spec.ports[?(@.port<=80)].name", ["http"]),
        (".spec.ports[?(@.name)].port", [80, 443]),
        ("$..port", [80, 443]),
        (".spec.*", [["reviews", "ratings"], OBJ["spec"]["ports"], None]),
    ],
)
def test_evaluate(path: str, expected: list) -> None:
    assert jsonpath.evaluate(OBJ, path) == expected


@pytest.mark.parametrize(
    "path",
    [
        ".metadata.missing",
        ".missing.deeper.still",
        ".spec.hosts[5]",
        ".spec.hosts.name",  # a field of a list selects nothing
        ".metadata.name[0]",
        '.status.conditions[?(@.type=="Gone")].status',
        '.status.conditions[?(@.reason=="x")].status',  # elements lacking the field are skipped
        ".status.total[?(@.a==1)]",  # filters only apply to lists
    ],
)
def test_missing_paths_select_nothing(path: str) -> None:
    assert jsonpath.evaluate(OBJ, path) == []


def test_filters_do_not_compare_values_of_different_kinds() -> None:
    assert jsonpath.evaluate(OBJ, '.spec.ports[?(@.port=="80")].name') == []
    assert jsonpath.evaluate(OBJ, ".spec.ports[?(@.port==80)].name") == ["http"]


def test_first() -> None:
    assert jsonpath.first(OBJ, ".spec.ports[*].name") == "http"
    assert jsonpath.first(OBJ, ".nothing") is None


@pytest.mark.parametrize(
    "path", [".spec.hosts[", ".spec.hosts[x]", ".a[?(@.x ~ 1)]", ".a[1:2:3:4]", ".a..", ".a b"]
)
def test_malformed_paths_raise(path: str) -> None:
    with pytest.raises(jsonpath.JSONPathError):
        jsonpath.parse(path)
