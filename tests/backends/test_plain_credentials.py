"""The plain kubeconfig credentials are read without the `kubernetes` package (issue 18: its
import is 250-400 ms on the path to the first rows), exactly as its KubeConfigLoader reads them;
anything else still goes through the loader."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from kstui.backends.plain_credentials import plain_configuration
from tests.conftest import ROOT, RunningSandbox
from tests.fresh_python import fresh_python


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def loader_reading(
    cluster: dict[str, Any], user: dict[str, Any], scratch: Path
) -> tuple[str | None, str | None, str | None, bool, str]:
    from kubernetes.client import Configuration
    from kubernetes.config.kube_config import KubeConfigLoader

    document = {
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    }
    configuration = Configuration()
    KubeConfigLoader(document, "x", config_base_path="", temp_file_path=str(scratch)).load_and_set(
        configuration
    )
    return (
        _text(configuration.ssl_ca_cert),
        _text(configuration.cert_file),
        _text(configuration.key_file),
        bool(configuration.verify_ssl),
        str(configuration.api_key.get("BearerToken") or ""),
    )


def _text(path: str | None) -> str | None:
    return Path(path).read_text() if path else None


@pytest.mark.parametrize(
    "shape",
    ["token+ca-data", "token-file+ca-file", "basic+insecure", "cert-data+ca", "cert-files"],
)
def test_plain_shapes_read_as_the_kubernetes_loader_reads_them(tmp_path: Path, shape: str) -> None:
    ca, cert, key = (f"-----{what}-----\n{what * 8}\n" for what in ("CA", "CERT", "KEY"))
    files = {}
    for name, text in (("ca.pem", ca), ("tls.crt", cert), ("tls.key", key), ("token", "t0k\n")):
        files[name] = tmp_path / name
        files[name].write_text(text)
    server = {"server": "https://127.0.0.1:6443"}
    cluster, user = {
        "token+ca-data": (
            {**server, "certificate-authority-data": b64(ca.encode())},
            {"token": "abc.def"},
        ),
        "token-file+ca-file": (
            {**server, "certificate-authority": str(files["ca.pem"])},
            {"tokenFile": str(files["token"])},
        ),
        "basic+insecure": (
            {**server, "insecure-skip-tls-verify": True},
            {"username": "ann", "password": "pä:ss"},
        ),
        "cert-data+ca": (
            {**server, "certificate-authority-data": b64(ca.encode())},
            {"client-certificate-data": b64(cert.encode()), "client-key-data": b64(key.encode())},
        ),
        "cert-files": (
            {**server, "certificate-authority": str(files["ca.pem"])},
            {"client-certificate": str(files["tls.crt"]), "client-key": str(files["tls.key"])},
        ),
    }[shape]
    (tmp_path / "plain").mkdir()
    (tmp_path / "loader").mkdir()
    plain = plain_configuration(cluster, user, str(tmp_path / "plain"))
    assert plain is not None
    mine = (
        _text(plain.ssl_ca_cert),
        _text(plain.cert_file),
        _text(plain.key_file),
        plain.verify_ssl,
        plain.authorization,
    )
    assert mine == loader_reading(cluster, user, tmp_path / "loader")


def test_an_auth_provider_or_an_unknown_key_is_left_to_the_loader(tmp_path: Path) -> None:
    server = {"server": "https://127.0.0.1:6443"}
    oidc = {"auth-provider": {"name": "oidc", "config": {"id-token": "x"}}}
    assert plain_configuration(server, oidc, str(tmp_path)) is None
    assert plain_configuration({**server, "future-key": 1}, {"token": "t"}, str(tmp_path)) is None


def test_connecting_with_the_sandbox_kubeconfig_never_imports_kubernetes(
    sandbox: RunningSandbox,
) -> None:
    probe = (
        "import sys; from kstui.backends.kubeconfig import load_kubeconfig\n"
        "from kstui.backends.credentials import KubeConnection\n"
        f"config = load_kubeconfig({str(sandbox.kubeconfig)!r})\n"
        "for context in config.contexts: KubeConnection(config, context)\n"
        "print('kubernetes' in sys.modules)"
    )
    printed = fresh_python(probe, timeout=60, cwd=ROOT)
    assert printed.strip() == "False"
