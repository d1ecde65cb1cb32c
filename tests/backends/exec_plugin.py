"""An exec credential plugin for the kubeconfig tests, copied into tmp_path and run as kubectl
runs one. Its answer comes from a JSON state file (argv[1]) the test rewrites: `token`,
`clientCertificateData`/`clientKeyData`, `expirationTimestamp`, or `exit` with `stderr` to fail,
or `output` to print something else. Each run appends KUBERNETES_EXEC_INFO to `<state>.calls`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> int:
    state_path = Path(sys.argv[1])
    state = json.loads(state_path.read_text())
    with state_path.with_suffix(".calls").open("a") as calls:
        calls.write(os.environ.get("KUBERNETES_EXEC_INFO", "") + "\n")
    if state.get("exit"):
        sys.stderr.write(state.get("stderr", ""))
        return int(state["exit"])
    if "output" in state:
        sys.stdout.write(state["output"])
        return 0
    info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
    status = {
        key: state[key]
        for key in ("token", "clientCertificateData", "clientKeyData", "expirationTimestamp")
        if state.get(key)
    }
    sys.stdout.write(
        json.dumps({"apiVersion": info["apiVersion"], "kind": "ExecCredential", "status": status})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
