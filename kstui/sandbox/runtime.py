"""Running a sandbox: N clusters on N ports (https with a generated CA by default), seeded, with
controllers, and a kubeconfig that reaches each as an admin and the host as a tenant."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from aiohttp import web

from kstui.sandbox import (
    seed,
    seed_appstore,
    seed_devops,
    seed_events,
    seed_groups,
    seed_helm,
    seed_s2i,
    seed_traffic,
)
from kstui.sandbox.auth import MASTERS
from kstui.sandbox.charts import ChartRepos
from kstui.sandbox.clock import Clock, ManualClock
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers import ControllerManager, settle
from kstui.sandbox.controllers.churn import Churn
from kstui.sandbox.controllers.disruption import DisruptionController
from kstui.sandbox.controllers.endpointslices import EndpointSliceController
from kstui.sandbox.controllers.jobs import JobController
from kstui.sandbox.controllers.namespaces import NamespaceController
from kstui.sandbox.controllers.pipelineruns import PipelineRunController
from kstui.sandbox.controllers.pods import PodLifecycleController
from kstui.sandbox.controllers.s2i import S2iRunController
from kstui.sandbox.controllers.tenancy import Flavor
from kstui.sandbox.controllers.tenancy_set import controllers_for
from kstui.sandbox.controllers.workloads import DeploymentController, ReplicaSetController
from kstui.sandbox.ks_apiserver import KsApiServer
from kstui.sandbox.prometheus import PrometheusFleet
from kstui.sandbox.server import build_app

T = TypeVar("T")
CLUSTER_NAMES = ("host", "member")
FROZEN_AT = datetime.fromisoformat("2026-01-15T12:00:00+00:00")
"""Where a frozen clock starts: snapshot tests see the same ages on every run."""


@dataclass(slots=True)
class SandboxOptions:
    clusters: int = 2
    pods: int = 120
    """Generated workload pods per cluster (beside the KubeSphere sample objects on host)."""
    tls: bool = True
    port: int = 0
    """First port; cluster i listens on port + i. 0 picks free ports."""
    host: str = "127.0.0.1"
    seed: int = 0
    churn: float = 0.0
    """Pod status changes per second per cluster, for a lively demo or benchmark."""
    frozen: bool = False
    """Use a ManualClock (starting at FROZEN_AT) that only tests move."""
    kubesphere: bool = True
    """Install the KubeSphere CRDs and sample objects; False makes a vanilla cluster."""
    log_capacity: int = 20_000
    controllers: bool = True
    kubesphere_version: str = "4"
    """KubeSphere "4", or "3" for a 3.x-style cluster: tenant v1alpha2 WorkspaceTemplates and
    v1alpha1 Workspaces, iam v1alpha2, project members as plain RBAC, no `kubesphere.io/managed`."""
    workspaces: int = 0
    """Generated workspaces (`ws-NNN`, on every cluster) beside the sample ones."""
    projects: int = 0
    """Generated project namespaces, spread over the workspaces and the clusters."""
    bookmark_interval: float = 60.0
    """Seconds of quiet before a watch gets a BOOKMARK (kube-apiserver: about a minute)."""
    prometheus: bool = False
    """Run a real Prometheus per cluster behind its service proxy (prometheus.py): 24 h of
    backfilled history, then live scrapes. Needs the `prometheus` binaries and a wall clock."""
    charts_port: int = 0
    """Port of the chart repositories' plain-HTTP server (0 picks a free one)."""
    helm_job_start: float = 0.5
    """Seconds the app store's Helm job pods take to start: an install is active ~1.5 s
    after its ApplicationRelease is created (creating → created → active)."""
    pipeline_step_seconds: float = 1.0
    """Seconds one unit of a sandbox Jenkins build plan takes (a seeded build is 10-30 units)."""
    pipeline_poll_seconds: float = 3.0
    """How often the PipelineRun controller polls a running build (ks-devops: 3 s)."""
    devops_pipelines: int = 0
    devops_runs: int = 0
    """Generated pipelines and finished runs in DevOps project `bench-cicdb3nch` (benchmarks);
    the first, `bench-long`, has 40 stages and a step writing 2,000 lines a second."""
    state_dir: str | None = None
    """Where the CA, its key and the tokens live: a restart there serves the same credentials
    (the store starts afresh, so its resourceVersion goes back). None: new ones each start."""


@dataclass(slots=True)
class Identity:
    cluster: str
    user: str
    token: str


@dataclass(slots=True)
class ClusterHandle:
    cluster: SandboxCluster
    url: str = ""
    runner: web.AppRunner | None = None
    managers: list[Any] = field(default_factory=list)
    settled: ControllerManager | None = None
    """Quota and tenancy controllers: run to quiet at seeding, started with the others."""
    ks: KsApiServer | None = None
    """The DevOps API (behind the service proxy) and a ks-apiserver with OAuth (KubeSphere)."""


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        opts = self.options
        self.clock: Clock = ManualClock(FROZEN_AT) if opts.frozen else Clock()
        names = [
            CLUSTER_NAMES[i] if i < len(CLUSTER_NAMES) else f"member{i}"
            for i in range(opts.clusters)
        ]
        self.handles = {
            name: ClusterHandle(
                SandboxCluster(name, self.clock, opts.seed, opts.log_capacity, opts.kubesphere)
            )
            for name in names
        }
        for handle in self.handles.values():
            handle.cluster.bookmark_interval = opts.bookmark_interval
        self.identities: list[Identity] = []
        self._ca: Any = None
        self._tmp = tempfile.TemporaryDirectory(prefix="kstui-sandbox-")
        self.ca_pem = b""
        self.prometheus: PrometheusFleet | None = None
        self.charts = ChartRepos()
        """The chart repositories, served at `charts.base_url` once started (every cluster
        reads them through this one object)."""
        for handle in self.handles.values():
            handle.cluster.charts = self.charts
            handle.cluster.helm_job_start = opts.helm_job_start
            handle.cluster.pipeline_step_seconds = opts.pipeline_step_seconds
            handle.cluster.pipeline_poll_seconds = opts.pipeline_poll_seconds

    # ------------------------------------------------------------------ access

    @property
    def clusters(self) -> list[SandboxCluster]:
        return [h.cluster for h in self.handles.values()]

    def cluster(self, name: str = "host") -> SandboxCluster:
        return self.handles[name].cluster

    def url(self, name: str = "host") -> str:
        return self.handles[name].url

    def ks_apiserver(self, name: str = "host") -> KsApiServer:
        """The cluster's ks-apiserver (`.url`: /oauth/token and /kapis/...) and DevOps API."""
        found = self.handles[name].ks
        if found is None:
            raise LookupError(f"cluster {name} has no ks-apiserver (not KubeSphere, or stopped)")
        return found

    def token(self, cluster: str = "host", user: str = "admin") -> str:
        return next(i.token for i in self.identities if i.cluster == cluster and i.user == user)

    def issue_token(
        self, cluster: str, user: str, groups: tuple[str, ...] = (), ttl: float | None = None
    ) -> str:
        c = self.cluster(cluster)
        expires = c.clock.now() + timedelta(seconds=ttl) if ttl is not None else None
        return c.authn.issue(user, groups, expires)

    def client_certificate(self, user: str, groups: tuple[str, ...] = ()) -> tuple[str, str]:
        """PEM files of a client certificate the sandbox maps to `user` (CN) and groups (O)."""
        if self._ca is None:
            raise RuntimeError("client certificates need a TLS sandbox")
        from datetime import UTC

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        # Built here, not with trustme's issue_cert: that allows a single O (so "a,b" would be
        # one group) and puts its own name in O when no groups are given.
        from cryptography.hazmat.primitives.asymmetric.types import (
            CertificateIssuerPrivateKeyTypes,
        )
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        # a CA's key is a signing key, whatever its algorithm
        ca_key = cast(
            "CertificateIssuerPrivateKeyTypes",
            serialization.load_pem_private_key(self._ca.private_key_pem.bytes(), None),
        )
        ca_cert = x509.load_pem_x509_certificate(self._ca.cert_pem.bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                *(x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups),
                x509.NameAttribute(NameOID.COMMON_NAME, user),
            ]
        )
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        base = Path(self._tmp.name) / f"client-{user}"
        Path(f"{base}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        Path(f"{base}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return f"{base}.crt", f"{base}.key"

    # ------------------------------------------------------------------ life cycle

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.options.tls:
            return None
        import trustme

        state = self._state_dir()
        if state is not None and (state / "ca.pem").exists():
            self._ca = trustme.CA.from_pem(
                (state / "ca.pem").read_bytes(), (state / "ca-key.pem").read_bytes()
            )
        else:
            self._ca = trustme.CA(organization_name="kstui sandbox")
            if state is not None:
                _write_private(state / "ca-key.pem", self._ca.private_key_pem.bytes())
                _write_private(state / "ca.pem", self._ca.cert_pem.bytes())
        self.ca_pem = self._ca.cert_pem.bytes()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(self.options.host, "localhost", "127.0.0.1").configure_cert(context)
        context.verify_mode = ssl.CERT_OPTIONAL  # tokens or client certificates
        self._ca.configure_trust(context)
        return context

    def populate(self) -> None:
        """Seed every cluster (synchronously; no event loop needed)."""
        opts = self.options
        if opts.kubesphere_version not in ("3", "4"):
            raise ValueError(
                f'kubesphere_version must be "3" or "4", not {opts.kubesphere_version!r}'
            )
        flavor = Flavor(opts.kubesphere_version)
        for handle in self.handles.values():
            cluster = handle.cluster
            seed.seed_bootstrap(cluster, nodes=1 + seed.workers_for(opts.pods))
            if opts.kubesphere:
                seed.seed_crds(cluster, flavor)
            seed.seed_workloads(cluster, opts.pods)
            if not opts.kubesphere:  # Istio and Gateway API weights (API.md §7.4)
                seed_traffic.seed_vanilla_traffic(cluster)
        kube_system_uids = {
            name: (h.cluster.store.get(("", "namespaces"), "", "kube-system") or {})
            .get("metadata", {})
            .get("uid", "")
            for name, h in self.handles.items()
        }
        if opts.kubesphere and "host" in self.handles:
            seed.seed_kubesphere(self.cluster("host"), kube_system_uids, flavor)
            if flavor.v3:  # grayscale release of every kind (the controller settles it below)
                seed_traffic.seed_mesh(self.cluster("host"))
            if "member" in self.handles:
                seed.seed_member_projects(self.cluster("member"), flavor)
            seed_appstore.seed_appstore({n: h.cluster for n, h in self.handles.items()})
            seed_devops.seed_devops(self.cluster("host"), flavor)
            seed_s2i.seed_s2i(self.cluster("host"))
            seed_devops.seed_devops_bench(
                self.cluster("host"), opts.devops_pipelines, opts.devops_runs
            )
            if opts.workspaces or opts.projects:
                seed.seed_tenancy_bench(
                    {n: h.cluster for n, h in self.handles.items()},
                    opts.workspaces,
                    opts.projects,
                    flavor,
                )
        clusters = {name: h.cluster for name, h in self.handles.items()}
        for handle in self.handles.values():
            handle.settled = ControllerManager(
                handle.cluster, controllers_for(handle.cluster, clusters, flavor)
            )
        # what the controllers would have done by now: projects' roles, RBAC twins, quotas
        settle([h.settled for h in self.handles.values() if h.settled is not None])
        if opts.kubesphere:
            seed_appstore.seed_releases({n: h.cluster for n, h in self.handles.items()})
        for handle in self.handles.values():  # last: the objects above keep their names
            seed_groups.seed_groups(handle.cluster)
        first = self.handles.get("host") or next(iter(self.handles.values()), None)
        if first is not None:  # Helm releases on any cluster, KubeSphere or not
            seed_helm.seed_helm_releases(first.cluster)
        for handle in self.handles.values():  # after all: nothing else's version moves
            seed_events.seed_events(handle.cluster)
        if opts.kubesphere and "host" in self.handles:  # last: see seed_store_access
            seed_appstore.seed_store_access(self.cluster("host"))
        state = self._state_dir()
        kept: dict[str, str] = {}
        if state is not None and (state / "tokens.json").exists():
            kept = json.loads((state / "tokens.json").read_text())
        for handle in self.handles.values():
            cluster = handle.cluster
            for user, groups in (("admin", (MASTERS,)), (seed.TENANT_USER, ())):
                token = cluster.authn.issue(user, groups, token=kept.get(f"{cluster.name}/{user}"))
                self.identities.append(Identity(cluster.name, user, token))
        if state is not None:
            _write_private(
                state / "tokens.json",
                json.dumps(
                    {f"{i.cluster}/{i.user}": i.token for i in self.identities}, indent=1
                ).encode(),
            )

    def _state_dir(self) -> Path | None:
        if self.options.state_dir is None:
            return None
        path = Path(self.options.state_dir)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    async def start(self) -> None:
        # Seeding makes ~10^5 long-lived objects: no collections while it does, then they are
        # frozen, so later full collections (75 ms each at 10k pods) never scan them again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            opts = self.options  # with fixed ports, the charts take the one after the clusters'
            charts_port = opts.charts_port or (opts.port + len(self.handles) if opts.port else 0)
            await self.charts.start(opts.host, charts_port)
            self.populate()
        finally:
            if collecting:
                gc.enable()
        gc.collect()
        gc.freeze()
        context = self._ssl_context()
        for index, handle in enumerate(self.handles.values()):
            cluster = handle.cluster
            handle.runner = web.AppRunner(
                build_app(cluster, context is not None),
                access_log=None,
                handle_signals=False,
                shutdown_timeout=0.5,
            )
            await handle.runner.setup()
            port = self.options.port + index if self.options.port else 0
            site = web.TCPSite(handle.runner, self.options.host, port, ssl_context=context)
            await site.start()
            bound = handle.runner.addresses[0][1]
            scheme = "https" if context else "http"
            handle.url = f"{scheme}://{self.options.host}:{bound}"
            cluster.server_url = handle.url
            if self.options.controllers:
                manager = ControllerManager(
                    cluster,
                    [
                        NamespaceController(cluster),
                        DeploymentController(cluster),
                        ReplicaSetController(cluster),
                        PodLifecycleController(cluster),
                        EndpointSliceController(cluster),
                        DisruptionController(cluster),
                        JobController(cluster),
                        *(
                            [PipelineRunController(cluster), S2iRunController(cluster)]
                            if cluster.kubesphere
                            else []
                        ),
                    ],
                )
                manager.start()
                handle.managers.append(manager)
                if handle.settled is not None:
                    handle.settled.start()
                    handle.managers.append(handle.settled)
            if cluster.kubesphere:
                handle.ks = KsApiServer(cluster)
                await handle.ks.start(self.options.host)
            churn = Churn(cluster, self.options.churn, self.options.seed)
            churn.start()
            handle.managers.append(churn)
        if self.options.prometheus:
            self.prometheus = PrometheusFleet(self.clusters, Path(self._tmp.name))
            if self.options.frozen:
                self.prometheus.error = "a frozen clock has no Prometheus (it scrapes in real time)"
                self.prometheus.ready.set()
            else:
                await self.prometheus.start()

    async def stop(self) -> None:
        if self.prometheus is not None:
            await self.prometheus.stop()
        await self.charts.stop()
        for handle in self.handles.values():
            for manager in handle.managers:
                if isinstance(manager, Churn):
                    manager.stop()
            if handle.ks is not None:
                await handle.ks.stop()
            if handle.runner is not None:
                await handle.runner.cleanup()
        self._tmp.cleanup()

    # ------------------------------------------------------------------ kubeconfig

    def kubeconfig(self) -> dict[str, Any]:
        clusters, users, contexts = [], [], []
        for name, handle in self.handles.items():
            entry: dict[str, Any] = {"server": handle.url}
            if self.ca_pem:
                entry["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
            clusters.append({"name": f"kstui-{name}", "cluster": entry})
            users.append({"name": f"{name}-admin", "user": {"token": self.token(name, "admin")}})
            contexts.append(
                {"name": name, "context": {"cluster": f"kstui-{name}", "user": f"{name}-admin"}}
            )
        if "host" in self.handles:
            tenant = seed.TENANT_USER
            users.append({"name": f"{tenant}@host", "user": {"token": self.token("host", tenant)}})
            contexts.append(
                {
                    "name": "tenant",
                    "context": {
                        "cluster": "kstui-host",
                        "user": f"{tenant}@host",
                        "namespace": "shop-prod",
                    },
                }
            )
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": clusters,
            "users": users,
            "contexts": contexts,
            "current-context": next(iter(self.handles)),
        }

    def write_kubeconfig(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        target.chmod(0o600)
        return target


def _write_private(path: Path, data: bytes) -> None:
    """Keys and tokens: readable by their owner only, from the first byte."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


class SandboxThread:
    """A sandbox on its own event loop in a background thread: sync and async clients alike
    (kubectl, the official client, httpx) can talk to it while the caller's loop runs."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.sandbox = Sandbox(options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kstui-sandbox", daemon=True
        )

    def start(self) -> Sandbox:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.sandbox.start(), self._loop).result(60)
        return self.sandbox

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn on the sandbox's loop (where its store lives) and return what it returns."""

        async def run() -> T:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def wait_prometheus(self, timeout: float = 120.0) -> str:
        """Block until every cluster's Prometheus serves (or failed); "" or what went wrong."""
        fleet = self.sandbox.prometheus
        if fleet is None:
            return "the sandbox was started without prometheus"
        asyncio.run_coroutine_threadsafe(fleet.ready.wait(), self._loop).result(timeout)
        return fleet.error

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.sandbox.stop(), self._loop).result(20)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
