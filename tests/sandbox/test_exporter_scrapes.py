"""The live exporter at scale: a scrape is written off the sandbox's loop (the API answers
meanwhile), and what it keeps from one scrape to the next never hides a change."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kstui.sandbox import prometheus
from kstui.sandbox.runtime import Sandbox, SandboxOptions
from tests.conftest import RunningSandbox, _start
from tests.sandbox.scrape_text import samples

PODS = ("", "pods")


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Scrapes that stop in the middle of writing until released (a big cluster's scrape)."""
    entered, release = threading.Event(), threading.Event()
    write = prometheus.write_exposition

    def slow(*args: Any, **kwargs: Any) -> None:
        entered.set()
        release.wait(60)
        write(*args, **kwargs)

    monkeypatch.setattr(prometheus, "write_exposition", slow)
    monkeypatch.setattr(prometheus, "binaries", lambda: None)  # the exporter, no Prometheus
    yield entered, release
    release.set()


@pytest.fixture
def running(tmp_path: Path, held: object) -> Iterator[RunningSandbox]:
    started = _start(tmp_path, SandboxOptions(clusters=1, pods=20, tls=False, prometheus=True))
    yield started
    started.thread.stop()


def test_the_api_answers_while_a_scrape_is_written(
    running: RunningSandbox, held: tuple[threading.Event, threading.Event]
) -> None:
    entered, release = held
    fleet = running.sandbox.prometheus
    assert fleet is not None
    assert fleet.metrics_url
    scraped: list[httpx.Response] = []
    scrape = threading.Thread(
        target=lambda: scraped.append(httpx.get(f"{fleet.metrics_url}/metrics/host", timeout=60))
    )
    scrape.start()
    try:
        assert entered.wait(30), "the scrape never began"
        headers = {"Authorization": f"Bearer {running.token()}"}
        # written on the sandbox's loop, the scrape held every request behind it
        answer = httpx.get(f"{running.url()}/api/v1/namespaces", headers=headers, timeout=20)
        assert answer.status_code == 200
        assert not scraped, "the scrape was not held"
    finally:
        release.set()
        scrape.join(60)
    assert scraped[0].status_code == 200
    assert "container_cpu_usage_seconds_total{" in scraped[0].text


def test_a_scrape_after_a_pod_changes_shows_the_change() -> None:
    sandbox = Sandbox(SandboxOptions(clusters=1, pods=30, controllers=False))
    sandbox.populate()
    cluster = sandbox.cluster()
    exporter = prometheus.LiveExporter(cluster)
    t = 1_796_288_460.0
    first = samples(exporter.render(t))
    pod = next(
        p
        for p in cluster.store.objects(PODS)
        if (p.get("status") or {}).get("phase") == "Running"
        and (p.get("status") or {}).get("containerStatuses")
    )
    meta, status = pod["metadata"], pod["status"]
    container = status["containerStatuses"][0]
    container["restartCount"] = int(container.get("restartCount") or 0) + 7
    status["phase"] = "Failed"
    cluster.store.update(cluster.kind_of(pod), pod, subresource="status", check_rv=False)

    def series(found: dict[str, float], name: str, *extra: str) -> float:
        pick = f'namespace="{meta["namespace"]}",pod="{meta["name"]}",'
        return next(
            v
            for k, v in found.items()
            if k.startswith(name + "{") and pick in k and all(e in k for e in extra)
        )

    second = samples(exporter.render(t + 1))
    restarts = "kube_pod_container_status_restarts_total"
    picked = f'container="{container["name"]}"'
    assert series(second, restarts, picked) == series(first, restarts, picked) + 7
    assert series(second, "kube_pod_status_phase", 'phase="Failed"') == 1.0
    assert series(first, "kube_pod_status_phase", 'phase="Failed"') == 0.0
    # not running any more: no usage of its own
    assert not any(
        k.startswith("container_memory_working_set_bytes{") and f'pod="{meta["name"]}"' in k
        for k in second
    )
    # and the same text as a fresh exporter writes at that moment (the next 15 s window: the
    # model's values are kept for one), counters aside
    fresh = prometheus.LiveExporter(cluster)
    fresh.counters = exporter.counters
    again = samples(exporter.render(t + 15))
    written = samples(fresh.render(t + 15))
    assert again.keys() == written.keys()
    assert {k: v for k, v in again.items() if "_total{" not in k} == {
        k: v for k, v in written.items() if "_total{" not in k
    }


def test_a_big_cluster_is_scraped_less_often() -> None:
    assert prometheus.scrape_interval(120) == prometheus.SCRAPE_INTERVAL == "1s"
    assert prometheus.scrape_interval(1_000) == "1s"
    assert prometheus.scrape_interval(2_013) == "3s"
    assert prometheus.scrape_interval(10_013) == "11s"
