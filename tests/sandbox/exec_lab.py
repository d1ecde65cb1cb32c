"""The pods the exec, attach and port-forward tests use, in their own namespace of the shared
sandbox, and the tokens and environments to reach them."""

from __future__ import annotations

import os
import time

import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_kubectl import kubectl

NS = "exec-lab"
PODS = f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: app-config, namespace: {NS}}}
data: {{"app.yaml": "greeting: hello\\n"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: app-secret, namespace: {NS}}}
stringData: {{password: s3cret}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: viewer, namespace: {NS}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: pod-reader, namespace: {NS}}}
rules: [{{apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: viewer-reads-pods, namespace: {NS}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}}
subjects: [{{kind: ServiceAccount, name: viewer, namespace: {NS}}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: shell
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "0"}}
spec:
  containers:
  - name: main
    image: alpine:3.20
    command: [sh]
    stdin: true
    tty: true
    env: [{{name: GREETING, value: hello-from-env}}]
    volumeMounts:
    - {{name: config, mountPath: /etc/app}}
    - {{name: secret, mountPath: /etc/secret}}
  volumes:
  - {{name: config, configMap: {{name: app-config}}}}
  - {{name: secret, secret: {{secretName: app-secret}}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "0"}}
spec:
  containers:
  - {{name: nginx, image: "nginx:1.27.3", ports: [{{containerPort: 80, name: http}}]}}
  - {{name: cache, image: "redis:7.2.5", ports: [{{containerPort: 6379}}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "0"}}
spec:
  containers:
  - name: app
    image: gcr.io/distroless/static-debian12
    ports: [{{containerPort: 9090, name: metrics}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: starting
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "3600"}}
spec:
  containers:
  - {{name: slow, image: "busybox:1.36"}}
---
apiVersion: v1
kind: Pod
metadata:
  name: homeless
  namespace: {NS}
  annotations: {{sandbox.kstui.io/unschedulable: "true"}}
spec:
  containers:
  - {{name: app, image: "busybox:1.36"}}
"""


@pytest.fixture(scope="module")
def lab(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> RunningSandbox:
    """The pods to exec into, applied once (the sandbox is shared: its own namespace)."""
    env = admin_env(sandbox)
    kubectl(env, "create", "namespace", NS, check=False)
    kubectl(env, "apply", "-f", "-", stdin=PODS)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        phases = {
            name: ((sandbox.stored(("", "pods"), NS, name) or {}).get("status") or {}).get("phase")
            for name in ("shell", "web", "api")
        }
        if set(phases.values()) == {"Running"}:
            return sandbox
        time.sleep(0.2)
    raise AssertionError(f"pods did not start: {phases}")


@pytest.fixture(scope="module")
def viewer_token(lab: RunningSandbox) -> str:
    """A service account that may read pods but not exec, attach or forward."""
    made = kubectl(admin_env(lab), "create", "token", "viewer", "-n", NS)
    return made.stdout.strip()


def admin_env(sandbox: RunningSandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update({"KUBECONFIG": str(sandbox.kubeconfig), "HOME": str(sandbox.kubeconfig.parent)})
    return env
