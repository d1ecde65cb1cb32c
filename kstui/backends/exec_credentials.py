"""Exec credential plugins (client.authentication.k8s.io v1/v1beta1), run without a terminal
as kubectl runs them when stdin is not one. Their output is a credential: no error message
ever quotes it, only its shape (keys, never values)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kstui.backends.errors import KubeconfigError
from kstui.backends.kubeconfig import ContextInfo, Entry
from kstui.backends.plain_credentials import bad_character

EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
EXEC_TIMEOUT = 30.0
"""Seconds a plugin may run. A plugin waiting for an interactive login never ends by itself."""
_KEY = re.compile(r"[A-Za-z][A-Za-z_]{0,23}")
"""A key shown as itself: short, letters only. Anything else could be a misplaced secret."""
_API_VERSION = re.compile(r"[a-z0-9.-]{1,80}/v[0-9a-z]{1,16}")


@dataclass(frozen=True, slots=True)
class ExecCredential:
    """What an exec plugin answered: a token or a client certificate, maybe an expiry."""

    token: str = ""
    cert_pem: str = ""
    key_pem: str = ""
    expires_at: datetime | None = None


def json_type(value: Any) -> str:
    """A JSON value's type in JSON's words ("object", "list", "string", ...)."""
    names = {
        dict: "object",
        list: "list",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def shape(value: Any, depth: int = 0) -> str:
    """The keys of a JSON object, nested one level (`status{expirationTimestamp,token}`): what
    a plugin answered, without a single value from it (odd keys show as "?")."""
    if not isinstance(value, dict):
        return json_type(value)
    keys = []
    for key, inner in list(value.items())[:12]:
        name = key if _KEY.fullmatch(key) else "?"
        keys.append(
            f"{name}{{{shape(inner, 1)}}}"
            if depth == 0 and isinstance(inner, dict) and name != "?"
            else name
        )
    return ",".join(sorted(keys)) + (",…" if len(value) > 12 else "")


class ExecPlugin:
    """One user's exec entry: checked when read, run (blocking) by `run()`."""

    def __init__(
        self,
        spec: Any,
        user: Entry,
        info: ContextInfo,
        cluster: dict[str, Any],
        timeout: float = EXEC_TIMEOUT,
    ) -> None:
        self.where = f'exec plugin of user "{info.user}" (context "{info.name}", {user.source})'
        self.source = user.source
        self.timeout = timeout
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("command"), str)
            or not spec["command"]
        ):
            raise KubeconfigError(
                f"{self.where} has no command",
                "users[].user.exec.command is missing",
                f"set the plugin's command in {user.source}",
            )
        self.api_version = str(spec.get("apiVersion") or "")
        if self.api_version not in EXEC_API_VERSIONS:
            raise KubeconfigError(
                f"{self.where} uses apiVersion {self.api_version!r}",
                f"supported: {', '.join(EXEC_API_VERSIONS)}",
                f"set exec.apiVersion to {EXEC_API_VERSIONS[0]} in {user.source}",
            )
        mode = spec.get("interactiveMode")
        if not mode and self.api_version == EXEC_API_VERSIONS[0]:
            raise KubeconfigError(
                f"{self.where} does not say its interactiveMode",
                f"kubectl requires it for {EXEC_API_VERSIONS[0]}",
                "add `interactiveMode: IfAvailable` to the exec entry",
            )
        if mode == "Always":
            raise KubeconfigError(
                f"{self.where} needs a terminal (interactiveMode: Always)",
                "kstui runs credential plugins without a terminal",
                "log in with kubectl in a terminal first, or set interactiveMode: IfAvailable",
            )
        command = spec["command"]
        if os.sep in command and not os.path.isabs(command):  # as kubectl: PATH names stay
            command = os.path.normpath(os.path.join(user.source.parent, command))
        self.argv = [command, *(str(a) for a in spec.get("args") or [])]
        self.install_hint = str(spec.get("installHint") or "")
        self.extra_env = {
            str(e.get("name")): str(e.get("value", ""))
            for e in spec.get("env") or []
            if isinstance(e, dict)
        }
        exec_spec: dict[str, Any] = {"interactive": False}
        if spec.get("provideClusterInfo"):
            exec_spec["cluster"] = exec_cluster(cluster)
        self.extra_env["KUBERNETES_EXEC_INFO"] = json.dumps(
            {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": exec_spec}
        )

    def run(self) -> ExecCredential:
        import shlex

        shown = shlex.join(self.argv)
        try:  # its own session: a timeout stops the plugin and whatever it started
            process = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.extra_env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise KubeconfigError(
                f"{self.where} cannot start `{shown}`",
                str(exc),
                self.install_hint
                or f"install the plugin, or fix users[].user.exec.command in {self.source}",
            ) from exc
        try:
            stdout, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            _stop(process)
            raise KubeconfigError(
                f"{self.where}: `{shown}` did not answer in {self.timeout:.0f} s",
                "it was stopped; a plugin that logs in interactively waits for a terminal, "
                "and kstui runs plugins without one",
                f"run `{shown}` once in a shell to log in, then reopen the context",
            ) from exc
        if process.returncode != 0:
            lines = stderr.decode(errors="replace").strip().splitlines()
            raise KubeconfigError(
                f"{self.where}: `{shown}` failed with exit code {process.returncode}",
                f"stderr: {lines[-1].strip()}" if lines else "it wrote nothing on stderr",
                f"run `{shown}` in a terminal to see what it needs (often a fresh login)",
            )
        return self.parse(stdout)

    def parse(self, stdout: bytes) -> ExecCredential:
        """The ExecCredential in `stdout`. Errors describe its shape and never quote it."""

        def bad(why: str) -> KubeconfigError:
            return KubeconfigError(
                f"{self.where} printed no usable ExecCredential",
                why,
                f"run `{' '.join(self.argv)}` and check its output",
            )

        try:
            answer = json.loads(stdout)
        except ValueError as exc:
            raise bad(
                f"its output is not JSON ({len(stdout)} bytes, not shown: it may hold a credential)"
            ) from exc
        if not isinstance(answer, dict):
            raise bad(f"its output is a JSON {json_type(answer)}, not an ExecCredential object")
        got = f"(got keys: {shape(answer)})"
        if answer.get("kind") != "ExecCredential":
            raise bad(f"kind is not ExecCredential {got}")
        version = answer.get("apiVersion")
        if version != self.api_version:
            said = (
                version
                if isinstance(version, str) and _API_VERSION.fullmatch(version)
                else f"a {json_type(version)} that is no API version (not shown)"
            )
            raise bad(f"it answered apiVersion {said}, expected {self.api_version}")
        status = answer.get("status")
        if not isinstance(status, dict):
            raise bad(f"status is missing {got}")
        token = status.get("token") or ""
        cert, key = status.get("clientCertificateData") or "", status.get("clientKeyData") or ""
        for name, value in (
            ("token", token),
            ("clientCertificateData", cert),
            ("clientKeyData", key),
        ):
            if not isinstance(value, str):
                raise bad(f"status.{name} is a JSON {json_type(value)}, not a string {got}")
        if not token and not (cert and key):
            raise bad(
                f"status has neither a token nor clientCertificateData with clientKeyData {got}"
            )
        token = token.strip()
        if token and (problem := bad_character(token)):
            raise bad(f"status.token contains {problem}")
        expires_at = None
        if status.get("expirationTimestamp"):
            try:
                expires_at = datetime.fromisoformat(
                    str(status["expirationTimestamp"]).replace("Z", "+00:00")
                )
            except ValueError as exc:
                raise bad("status.expirationTimestamp is not an RFC 3339 time") from exc
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
        return ExecCredential(token, cert, key, expires_at)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    for pipe in (process.stdout, process.stderr):  # a grandchild may hold them open
        if pipe is not None:
            pipe.close()
    process.wait()


def exec_cluster(cluster_body: dict[str, Any]) -> dict[str, Any]:
    """spec.cluster for provideClusterInfo, with the CA as data as client-go sends it."""
    import base64

    cluster: dict[str, Any] = {
        key: cluster_body[key]
        for key in ("server", "tls-server-name", "insecure-skip-tls-verify", "proxy-url")
        if key in cluster_body
    }
    if cluster_body.get("certificate-authority-data"):
        cluster["certificate-authority-data"] = cluster_body["certificate-authority-data"]
    elif cluster_body.get("certificate-authority"):
        try:
            with open(cluster_body["certificate-authority"], "rb") as ca:
                cluster["certificate-authority-data"] = base64.b64encode(ca.read()).decode()
        except OSError:
            pass  # reported with the file's name when the CA itself is loaded
    for extension in cluster_body.get("extensions") or []:
        if (
            isinstance(extension, dict)
            and extension.get("name") == "client.authentication.k8s.io/exec"
        ):
            cluster["config"] = extension.get("extension")
    return cluster
