"""The late-answer fault: a write stored at once but answered late, or never handled."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import httpx

from tests.conftest import RunningSandbox
from tests.sandbox.test_faults import client

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def test_a_late_answer_applies_first_or_not_at_all(
    fresh_sandbox: Callable[..., RunningSandbox],
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    faults = running.cluster().faults

    def stored(name: str) -> object:
        return running.call(running.cluster().store.get, ("", "configmaps"), "default", name)

    with client(running) as http:
        http.get("/version")
        running.call(faults.answer_late, 1.0, CONFIGMAPS)
        started = time.monotonic()
        assert http.get(CONFIGMAPS).status_code == 200  # reads are not delayed
        assert time.monotonic() - started < 0.9
        with contextlib.suppress(httpx.ReadTimeout):
            http.post(CONFIGMAPS, json={"metadata": {"name": "a"}}, timeout=0.3)
        assert stored("a") is not None  # applied, though its answer is still to come

        running.call(faults.answer_late, 0.5, CONFIGMAPS, applied=False)
        answer = http.post(CONFIGMAPS, json={"metadata": {"name": "b"}})
        assert answer.status_code == 504
        assert stored("b") is None
        assert http.post(CONFIGMAPS, json={"metadata": {"name": "c"}}).status_code == 201
