"""A real Prometheus on 127.0.0.1 serving only a history written here: OpenMetrics text turned
into TSDB blocks by promtool, then served (no scrapes), for tests whose figures must be known
exactly."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from kstui.sandbox import prometheus as sandbox_prometheus


@contextmanager
def backfilled_prometheus(directory: Path, openmetrics: str) -> Iterator[str]:
    """A Prometheus serving `openmetrics` (ending in `# EOF`) from `directory`; its URL."""
    found = sandbox_prometheus.binaries()
    assert found is not None
    prometheus, promtool = found
    source = directory / "history.om"
    source.write_text(openmetrics)
    data = directory / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
    )
    config = directory / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (directory / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=100y",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "prometheus did not get ready"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()
