"""The credentials of one kubeconfig context (`KubeConnection`): token, token file, basic auth,
client certificate, CA and proxy through the `kubernetes` package's loader (its TLS contexts
in tls_contexts.py), and exec plugins (exec_credentials.py). The loader is imported lazily,
because importing it costs 250 ms at startup. As kubectl, no credential is ever sent over
plain http."""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import KubeconfigError
from kstui.backends.kubeconfig import ContextInfo, Entry, KubeConfig
from kstui.backends.plain_credentials import USER_KEYS, bad_character, plain_configuration
from kstui.backends.tls_contexts import load_client_pem, origin_of, tls_context, unverified_context
from kstui.lazy_pattern import LazyPattern

if TYPE_CHECKING:  # exec plugins are rare: their module (subprocess, json) loads when one runs
    from kstui.backends.exec_credentials import ExecCredential, ExecPlugin

TOKEN_FILE_PERIOD = 60.0
"""Seconds between re-reads of a tokenFile, as client-go's cached file token source."""
_CLUSTER_FILES = ("certificate-authority",)
_USER_FILES = ("client-certificate", "client-key", "tokenFile")
_CREDENTIAL_KEYS = USER_KEYS | {"exec", "auth-provider"}
"""A user entry that names any of these has credentials of its own."""
_TLS_KEYS = (
    "certificate-authority",
    "certificate-authority-data",
    "insecure-skip-tls-verify",
    "tls-server-name",
)
_SCHEME = LazyPattern(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_LOADER_LOCK = threading.Lock()
"""The loader caches -data temp files by content in a global: one connection loads at a time,
or two contexts sharing a CA could read each other's (already removed) scratch files."""


class KubeConnection:
    """The `Connection` of one context. The constructor blocks (file reads, the first run of an
    exec plugin, the `kubernetes` import): call it from a thread, or use `connect()`."""

    def __init__(
        self,
        config: KubeConfig,
        context: str | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        exec_timeout: float | None = None,
    ) -> None:
        info = config.context(context)
        self.info = info
        self.context_name = info.name
        self.namespace = info.namespace
        cluster = config.clusters[info.cluster]
        user = config.users.get(info.user) if info.user else None
        self.server = _server_url(info, cluster, user)
        self.proxy: str | None = str(cluster.body.get("proxy-url") or "") or None
        self.auth = "none"
        """How the context authenticates: token, token file, exec, client certificate, ..."""
        self.notice = ""
        """Something the header should say about this connection ("" when nothing)."""
        self.ca_origin = ""
        """Where the CA that verifies the server comes from, for TLS failures."""
        self.verify: ssl.SSLContext | bool = False
        self._clock = clock or _utc_now
        self._lock = asyncio.Lock()
        self._generation = 0
        self._authorization = ""
        self._cert_pem = ""
        self._expires_at: datetime | None = None
        self._token_file = ""
        self._token_read_at = 0.0
        self._exec: ExecPlugin | None = None

        if not self.server.startswith("https:"):
            # kubectl reads no credentials and no CA for a plain http server (client-go's
            # clientcmd, IsConfigTransportTLS): anyone on the path could read them.
            if user is not None and any(user.body.get(k) for k in _CREDENTIAL_KEYS):
                self.notice = "http: credentials not sent"
            return
        cluster_body = _resolved(cluster.body, cluster.source, _CLUSTER_FILES)
        cluster_body["server"] = self.server  # the loader reads the CA for "https..." only
        self.ca_origin = _caorigin_of(info, cluster_body, cluster.source)
        user_body = _resolved(user.body, user.source, _USER_FILES) if user else {}
        static_auth = any(user_body.get(k) for k in ("auth-provider", "token", "tokenFile"))
        if user is not None and user_body.get("exec") and not static_auth:
            # The kubernetes loader logs plugin failures away and hands the plugin our terminal;
            # plugins run here instead, as kubectl runs them without a terminal.
            from kstui.backends.exec_credentials import EXEC_TIMEOUT, ExecPlugin

            timeout = EXEC_TIMEOUT if exec_timeout is None else exec_timeout
            self._exec = ExecPlugin(user_body["exec"], user, info, cluster_body, timeout)
            user_body = {
                k: v for k, v in user_body.items() if k not in ("exec", "username", "password")
            }
        user_body.pop("exec", None)
        if (
            user_body.get("tokenFile")
            and not user_body.get("token")
            and not user_body.get("auth-provider")
        ):
            self._token_file = user_body["tokenFile"]
            self._token_read_at = time.monotonic()
        self.verify, self._authorization = _load_static(
            info, cluster, cluster_body, user, user_body
        )
        self.auth = _auth_method(user_body)
        if self._token_file:  # read as bytes: a text read would turn a \r into a newline
            self._reread_token_file()
        elif self._authorization.startswith("Bearer "):
            where = user.source if user else cluster.source
            _check_token(info, self._authorization.removeprefix("Bearer "), str(where))
        if self._exec is not None:
            self._apply(self._exec.run())
            self.auth = "exec"

    def _apply(self, credential: ExecCredential) -> bool:
        """Take a fresh exec credential; True (and a new generation) if it differs."""
        before = (self._authorization, self._cert_pem)
        self._expires_at = credential.expires_at
        self._authorization = f"Bearer {credential.token}" if credential.token else ""
        self._cert_pem = credential.cert_pem
        if credential.cert_pem:
            if not isinstance(self.verify, ssl.SSLContext):
                self.verify = unverified_context()
            # Loaded into the context KubeClient already holds: new connections present it.
            load_client_pem(self.verify, credential, self._exec.where if self._exec else "")
        if before == (self._authorization, self._cert_pem):
            return False
        self._generation += 1
        return True

    def _expired(self) -> bool:
        return self._expires_at is not None and self._clock() >= self._expires_at

    async def auth_headers(self) -> dict[str, str]:
        if self._exec is not None and self._expired():
            async with self._lock:
                if self._expired():  # a request that waited on the lock finds it renewed
                    self._apply(await asyncio.to_thread(self._exec.run))
        elif self._token_file and time.monotonic() - self._token_read_at > TOKEN_FILE_PERIOD:
            async with self._lock:
                try:
                    await asyncio.to_thread(self._reread_token_file)
                except KubeconfigError:
                    self._token_read_at = time.monotonic()  # keep the cached token, as client-go
        return {"Authorization": self._authorization} if self._authorization else {}

    def current_headers(self) -> dict[str, str]:
        """The Authorization header as it stands, refreshed by nothing (early_list.py's
        thread, which has no loop, with plain credentials only)."""
        return {"Authorization": self._authorization} if self._authorization else {}

    async def refresh(self) -> bool:
        """After a 401: re-run the exec plugin or re-read the token file. Requests refused at
        once share one refresh: a caller that waited for it sees the generation move."""
        if self._exec is None and not self._token_file:
            return False
        seen = self._generation
        async with self._lock:
            if self._generation != seen:
                return True
            if self._exec is not None:
                return self._apply(await asyncio.to_thread(self._exec.run))
            return await asyncio.to_thread(self._reread_token_file)

    def _reread_token_file(self) -> bool:
        try:
            token = Path(self._token_file).read_bytes().decode("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise KubeconfigError(
                f'token file of context "{self.context_name}" cannot be read',
                f"{self._token_file}: {getattr(exc, 'strerror', exc)}",
                "restore the file or fix users[].user.tokenFile",
            ) from exc
        self._token_read_at = time.monotonic()
        _check_token(self.info, token, self._token_file)
        header = f"Bearer {token}" if token else ""
        if header == self._authorization:
            return False
        self._authorization = header
        self._generation += 1
        return True


async def connect(
    config: KubeConfig,
    context: str | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    exec_timeout: float | None = None,
) -> KubeConnection:
    """A KubeConnection for the context (None: the current one), loaded in a thread. `clock`
    decides when exec credentials expire (default: the wall clock); an exec plugin is stopped
    after `exec_timeout` seconds."""
    return await asyncio.to_thread(
        KubeConnection, config, context, clock=clock, exec_timeout=exec_timeout
    )


def _server_url(info: ContextInfo, cluster: Entry, user: Entry | None) -> str:
    """The server as a URL. Without a scheme kubectl takes it as plain http and drops the
    credentials and CA: when the kubeconfig has any, that is never what was meant."""
    server = info.server.rstrip("/")
    scheme = _SCHEME.match(server)
    if scheme and scheme.group(1).lower() in ("http", "https"):
        return scheme.group(1).lower() + server[len(scheme.group(1)) :]
    where = f'cluster "{info.cluster}" (context "{info.name}", {cluster.source})'
    if scheme:
        raise KubeconfigError(
            f"server of {where} is not an http(s) URL",
            f"server: {server}",
            f"write server: https://HOST:PORT in {cluster.source}",
        )
    secure = any(cluster.body.get(k) for k in _TLS_KEYS) or (
        user is not None and any(user.body.get(k) for k in _CREDENTIAL_KEYS)
    )
    if not secure:
        return f"http://{server}"  # as kubectl: nothing to protect, nothing to drop
    raise KubeconfigError(
        f"server of {where} has no scheme",
        f"server: {server}: kubectl would use plain http and send "
        "neither the credentials nor the CA",
        f"write server: https://{server} in {cluster.source}",
    )


def _caorigin_of(info: ContextInfo, cluster_body: dict[str, Any], source: Path) -> str:
    if cluster_body.get("certificate-authority-data"):
        return f'certificate-authority-data of cluster "{info.cluster}" in {source}'
    if cluster_body.get("certificate-authority"):
        return (
            f"{cluster_body['certificate-authority']} (certificate-authority of cluster "
            f'"{info.cluster}" in {source})'
        )
    return f'the system\'s trusted CAs (cluster "{info.cluster}" in {source} names no CA)'


def _check_token(info: ContextInfo, token: str, where: str) -> None:
    """A token that cannot go into a header is the kubeconfig's fault: say so, not "400"."""
    problem = bad_character(token)
    if problem:
        raise KubeconfigError(
            f'token of user "{info.user}" (context "{info.name}") cannot be sent',
            f"it contains {problem} (in {where})",
            f"fix the token in {where} (often a stray \\r or newline pasted with it)",
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _resolved(body: dict[str, Any], source: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    """Relative file paths made absolute against the directory of the file they came from."""
    result = dict(body)
    for key in keys:
        value = result.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            result[key] = os.path.normpath(os.path.join(source.parent, value))
    return result


def _auth_method(user_body: dict[str, Any]) -> str:
    provider = user_body.get("auth-provider")
    if isinstance(provider, dict):
        return f"auth-provider {provider.get('name', '')}".strip()
    for key, method in (
        ("token", "token"),
        ("tokenFile", "token file"),
        ("username", "basic"),
        ("client-certificate", "client certificate"),
        ("client-certificate-data", "client certificate"),
    ):
        if user_body.get(key):
            return method
    return "none"


def _check_files(
    info: ContextInfo, kind: str, entry: Entry | None, body: dict[str, Any], keys: tuple[str, ...]
) -> None:
    """kubectl's checks, done before the loader so the message names the field and file."""
    import base64
    import binascii

    if entry is None:
        return
    what = f'{kind} "{entry.name}" (context "{info.name}")'
    for key in keys:
        data = body.get(f"{key}-data") if key != "tokenFile" else body.get("token")
        if data and key != "tokenFile":
            try:
                base64.b64decode(str(data), validate=True)
            except binascii.Error as exc:
                raise KubeconfigError(
                    f"{key}-data of {what} is not valid base64",
                    f"{exc} (in {entry.source})",
                    "paste the base64 of the PEM file: `base64 -w0 FILE`",
                ) from exc
        elif body.get(key) and not os.path.isfile(body[key]):
            raise KubeconfigError(
                f"{key} of {what} does not exist",
                origin_of(body, key, entry.source),
                f"fix the path in {entry.source} (relative paths are relative to that file)",
            )


def _load_static(
    info: ContextInfo,
    cluster: Entry,
    cluster_body: dict[str, Any],
    user: Entry | None,
    user_body: dict[str, Any],
) -> tuple[ssl.SSLContext | bool, str]:
    """Token, token file, basic auth, OIDC id-token, CA and client certificate; returns
    (verify, Authorization header). The plain shapes are read here (plain_credentials.py);
    the rest through the `kubernetes` package's KubeConfigLoader."""
    _check_files(info, "cluster", cluster, cluster_body, _CLUSTER_FILES)
    _check_files(info, "user", user, user_body, _USER_FILES)
    provider = user_body.get("auth-provider")
    if isinstance(provider, dict) and provider.get("name") in ("gcp", "azure"):
        raise KubeconfigError(
            f'user "{info.user}" uses the {provider["name"]} auth-provider, '
            "which kubectl no longer supports",
            f"in {user.source if user else cluster.source}",
            "switch to the exec plugin (gke-gcloud-auth-plugin or kubelogin)",
        )
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kstui-kubeconfig-") as scratch:
        plain = plain_configuration(cluster_body, user_body, scratch)
        if plain is not None:
            verify = tls_context(info, cluster, cluster_body, user, user_body, plain)
            return verify, plain.authorization.strip()

    from kubernetes.client import Configuration
    from kubernetes.config.kube_config import KubeConfigLoader

    document = {
        "clusters": [{"name": info.cluster, "cluster": cluster_body}],
        "users": [{"name": info.user, "user": user_body}] if info.user else [],
        "contexts": [{"name": info.name, "context": {"cluster": info.cluster, "user": info.user}}],
    }
    configuration = Configuration()
    with _LOADER_LOCK, tempfile.TemporaryDirectory(prefix="kstui-kubeconfig-") as scratch:
        try:
            loader = KubeConfigLoader(
                document, info.name, config_base_path="", temp_file_path=scratch
            )
            loader.load_and_set(configuration)
        except Exception as exc:  # ConfigException, OSError, ValueError...: all the user's to fix
            raise KubeconfigError(
                f'credentials of context "{info.name}" cannot be loaded',
                f"{type(exc).__name__}: {exc}",
                f'check user "{info.user}" and cluster "{info.cluster}" in '
                f"{user.source if user else cluster.source}",
            ) from exc
        verify = tls_context(info, cluster, cluster_body, user, user_body, configuration)
    authorization = str(configuration.api_key.get("BearerToken") or "").strip()
    return verify, authorization
