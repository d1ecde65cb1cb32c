#!/usr/bin/env python
"""Operate benchmark (issue 17), the shell part so far: keypress to shell prompt. The real
`python -m kstui` on a pseudo-terminal against a sandbox in this process: the pods list of one
namespace with one alpine pod, `s` pressed, the time until the shell's `/ # ` prompt is drawn
(target ≤ 300 ms); then `exit`, and the time until the list is drawn again. A report, not a
test. Port-forward throughput and concurrent forwards: not yet (no forward client).

    PYTHONPATH=$PWD python bench/operate.py [--rounds 10]

On the 2-core CI machine: keypress to prompt median 252 ms (max 310 ms; `bash` is tried
first, so alpine costs two WebSocket handshakes), exit to the list again median 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kstui.sandbox.runtime import SandboxOptions, SandboxThread  # noqa: E402
from tests.ui.terminal import Terminal  # noqa: E402

POD = (
    '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"box","namespace":"default",'
    '"annotations":{"sandbox.kstui.io/start-after":"0"}},'
    '"spec":{"containers":[{"name":"main","image":"alpine:3.20"}]}}'
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    scratch = Path(tempfile.mkdtemp(prefix="kstui-operate-"))
    thread = SandboxThread(
        SandboxOptions(clusters=1, pods=0, kubesphere=False, state_dir=str(scratch / "state"))
    )
    sandbox = thread.start()
    kubeconfig = sandbox.write_kubeconfig(scratch / "kubeconfig")
    url, verify = sandbox.url("host"), str(scratch / "ca.pem")
    Path(verify).write_bytes(sandbox.ca_pem)
    headers = {"Authorization": f"Bearer {sandbox.token('host', 'admin')}"}
    pods = url + "/api/v1/namespaces/default/pods"
    httpx.post(
        pods, content=POD, headers={**headers, "Content-Type": "application/json"}, verify=verify
    )
    while (
        httpx.get(pods + "/box", headers=headers, verify=verify)
        .json()
        .get("status", {})
        .get("phase")
        != "Running"
    ):
        time.sleep(0.1)
    terminal = Terminal(["--kubeconfig", str(kubeconfig), "-n", "default"], scratch)
    to_prompt, to_list = [], []
    try:
        terminal.wait_for(r"pods\(default\)\[1\]")
        time.sleep(1.0)  # the first list, the whoami and discovery settle
        for _ in range(rounds):
            mark = terminal.mark()
            start = time.perf_counter()
            terminal.write(b"s")
            terminal.wait_for(r"/ # $", after=mark, timeout=20)
            to_prompt.append(time.perf_counter() - start)
            mark = terminal.mark()
            start = time.perf_counter()
            terminal.write(b"exit\r")
            terminal.wait_for("shell ended: exit 0", after=mark, timeout=20)
            to_list.append(time.perf_counter() - start)
            time.sleep(0.3)
    finally:
        terminal.close()
        thread.stop()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"

    print(f"keypress to shell prompt ({rounds} rounds): {ms(to_prompt)} (target ≤ 300 ms)")
    print(f"exit to the list again:               {ms(to_list)}")


if __name__ == "__main__":
    main()
