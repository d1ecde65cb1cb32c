"""A chart's contents (README, Chart.yaml, default values, values.schema.json) read from the
archive at an ApplicationVersion's spec.pullUrl (API.md §2.1): fetched with httpx, opened with
tarfile in memory, never written to disk. Repo credentials live in the OS keyring only."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from dataclasses import dataclass
from typing import Any

import yaml

MAX_CHART_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 15.0
KEYRING_SERVICE = "kstui-app-repo"
"""The keyring service name; the user name is `<context>/<repo>`."""


@dataclass(frozen=True, slots=True)
class ChartFiles:
    url: str
    chart_yaml: str = ""
    values: str = ""
    readme: str = ""
    schema: dict[str, Any] | None = None
    problem: str = ""
    """One line: why the chart could not be read (nothing else is then set)."""

    @property
    def metadata(self) -> dict[str, Any]:
        try:
            loaded = yaml.safe_load(self.chart_yaml) if self.chart_yaml else {}
        except yaml.YAMLError:
            return {}
        return loaded if isinstance(loaded, dict) else {}


def read_archive(url: str, data: bytes) -> ChartFiles:
    """The files of a chart archive (`<chart>/Chart.yaml` …, the top folder whatever its name)."""
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, OSError, EOFError) as error:
        return ChartFiles(url, problem=f"{url} is not a chart archive: {error}")
    wanted = {"Chart.yaml": "", "values.yaml": "", "README.md": "", "values.schema.json": ""}
    with archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) != 2 or parts[1] not in wanted or not member.isfile():
                continue  # subcharts' files are under charts/
            handle = archive.extractfile(member)
            if handle is not None:
                wanted[parts[1]] = handle.read(MAX_CHART_BYTES).decode("utf-8", "replace")
    if not wanted["Chart.yaml"]:
        return ChartFiles(url, problem=f"{url} has no Chart.yaml: not a Helm chart")
    schema: dict[str, Any] | None = None
    if wanted["values.schema.json"]:
        try:
            loaded = json.loads(wanted["values.schema.json"])
        except ValueError as error:
            return ChartFiles(url, problem=f"the chart's values.schema.json is not JSON: {error}")
        schema = loaded if isinstance(loaded, dict) else None
    return ChartFiles(
        url,
        chart_yaml=wanted["Chart.yaml"],
        values=wanted["values.yaml"],
        readme=wanted["README.md"],
        schema=schema,
    )


async def fetch_chart(url: str, auth: tuple[str, str] | None = None) -> ChartFiles:
    """The chart at `url`; absent or unreachable says so in `problem`, in one line."""
    if not url:
        return ChartFiles(
            url, problem="this version has no spec.pullUrl: its chart is not reachable"
        )
    if not url.startswith(("http://", "https://")):
        return ChartFiles(url, problem=f"cannot fetch {url}: only http and https charts are read")
    import httpx

    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=True) as client:
            response = await client.get(url, auth=auth)
    except httpx.HTTPError as error:
        return ChartFiles(url, problem=f"cannot reach {url}: {type(error).__name__} {error}")
    if response.status_code != 200:
        return ChartFiles(url, problem=f"{url} answered {response.status_code}: no chart there")
    if len(response.content) > MAX_CHART_BYTES:
        return ChartFiles(url, problem=f"{url} is over {MAX_CHART_BYTES // 2**20} MiB: not read")
    return await asyncio.to_thread(read_archive, url, response.content)  # off the loop


# ---------------------------------------------------------------------- repo credentials


def keyring_user(context: str, repo: str) -> str:
    return f"{context}/{repo}"


def save_credential(context: str, repo: str, username: str, password: str) -> str:
    """Keep a repo's credential in the OS keyring; "" when kept, else why not."""
    try:
        import keyring

        keyring.set_password(
            KEYRING_SERVICE, keyring_user(context, repo), json.dumps([username, password])
        )
    except Exception as error:  # no backend, locked keyring: said, never a file instead
        return f"the OS keyring did not keep it: {error}"
    return ""


def load_credential(context: str, repo: str) -> tuple[str, str] | None:
    try:
        import keyring

        kept = keyring.get_password(KEYRING_SERVICE, keyring_user(context, repo))
    except Exception:
        return None
    if not kept:
        return None
    try:
        username, password = json.loads(kept)
    except (ValueError, TypeError):
        return None
    return str(username), str(password)
