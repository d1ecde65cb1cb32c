"""Deterministic container logs for the sandbox apiserver.

Every line is a pure function of (container identity, restart instance, line index), and
line times follow a per-block gap pattern so index <-> time is arithmetic, not a replay.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

BLOCK = 64  # lines per gap-pattern block and per log "episode" slot
MIN_GAP_US = 200_000
MAX_GAP_US = 2_000_000
_US = timedelta(microseconds=1)
_MASK = (1 << 64) - 1
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

STYLES = (
    "jnlp",
    "nginx",
    "envoy",
    "java",
    "redis",
    "postgres",
    "mysql",
    "mongo",
    "worker",
    "json",
    "generic",
)
# First match wins; the image is consulted before the container name.
_STYLE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("envoy", ("envoy", "istio-proxy", "proxyv2")),
    ("nginx", ("nginx", "ingress")),
    ("jnlp", ("inbound-agent", "jnlp")),
    ("java", ("java", "jdk", "jenkins", "spring", "kafka", "elasticsearch", "zookeeper")),
    ("redis", ("redis",)),
    ("postgres", ("postgres",)),
    ("mysql", ("mysql", "mariadb")),
    ("mongo", ("mongo",)),
    ("worker", ("worker", "batch", "job", "cron")),
    ("json", ("api", "json", "svc", "service", "reviews", "cart", "checkout", "payment")),
)


@dataclass(frozen=True, slots=True)
class LogLine:
    at: datetime  # UTC, tz-aware
    text: str


def stable_hash(*parts: object) -> int:
    """64-bit hash that is identical across runs (unlike the salted builtin hash())."""
    data = "\x1f".join(map(str, parts)).encode()  # map: the history asks millions of times
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


class Rng:
    """splitmix64: tiny, fast and reproducible on every platform."""

    __slots__ = ("_s",)

    def __init__(self, seed: int) -> None:
        self._s = seed & _MASK

    def next(self) -> int:
        self._s = (self._s + 0x9E3779B97F4A7C15) & _MASK
        z = self._s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def int(self, lo: int, hi: int) -> int:
        return lo + self.next() % (hi - lo + 1)

    def unit(self) -> float:
        return self.next() / 2.0**64

    def pick(self, seq: tuple[str, ...]) -> str:
        return seq[self.next() % len(seq)]

    def hex(self, n: builtins.int) -> str:  # `int` here is the method above
        return "".join(f"{self.next():016x}" for _ in range((n + 15) // 16))[:n]

    def ip(self) -> str:
        return f"10.{self.int(0, 3)}.{self.int(0, 255)}.{self.int(2, 254)}"


def _image_repo(image: str) -> str:
    """`registry:5000/org/name:tag@sha` -> `org/name` (the registry host would add noise)."""
    parts = image.split("@")[0].lower().split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    parts[-1] = parts[-1].split(":")[0]
    return "/".join(parts)


def detect_style(image: str, container: str) -> str:
    for name in (_image_repo(image), container.lower()):
        for style, keys in _STYLE_RULES:
            if any(k in name for k in keys):
                return style
    return "generic"


def format_rfc3339nano(at: datetime) -> str:
    """Go's time.RFC3339Nano (what kubelet emits): fraction has trailing zeros trimmed."""
    at = at.astimezone(UTC)
    frac = f"{at.microsecond * 1000:09d}".rstrip("0")
    return at.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def format_line(line: LogLine, timestamps: bool) -> str:
    return f"{format_rfc3339nano(line.at)} {line.text}" if timestamps else line.text


def _ms(at: datetime) -> str:
    return f"{at.microsecond // 1000:03d}"


def _iso_ms(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}.{_ms(at)}Z"


# Each renderer: (rng, generator, line time) -> text of one ordinary line.
Renderer = Callable[[Rng, "LogGenerator", datetime], str]
_PATHS = (
    "/",
    "/api/v1/products/{n}",
    "/api/v1/cart",
    "/login",
    "/static/js/app.{h}.js",
    "/images/{n}.jpg",
    "/healthz",
    "/api/v1/orders/{n}",
    "/search?q=shoes&page={d}",
)
_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
    "curl/8.5.0",
    "kube-probe/1.30",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
)
_STATUS = (200,) * 14 + (304, 304, 301, 201, 404, 404, 500, 502)
_HOSTS = ("redis-master", "postgres", "orders-svc", "payments.internal", "kafka-0.kafka")
_ERRS = (
    "connection reset by peer",
    "context deadline exceeded",
    "i/o timeout",
    "upstream returned 503",
    "too many open files",
)


def _path(r: Rng) -> str:
    return r.pick(_PATHS).format(n=r.int(1, 99999), h=r.hex(8), d=r.int(1, 9))


def _level(r: Rng) -> str:
    x = r.int(0, 99)
    return "DEBUG" if x < 8 else "INFO" if x < 86 else "WARN" if x < 96 else "ERROR"


def _nginx(r: Rng, g: LogGenerator, at: datetime) -> str:
    method = "POST" if r.int(0, 9) == 0 else "GET"
    ref = r.pick(("-", "https://shop.example.com/", "https://shop.example.com/cart"))
    when = f"{at.day:02d}/{_MONTHS[at.month - 1]}/{at.year}:{at:%H:%M:%S} +0000"
    return (
        f'{r.ip()} - - [{when}] "{method} {_path(r)} HTTP/1.1" {_STATUS[r.int(0, 21)]} '
        f'{r.int(0, 48000)} "{ref}" "{r.pick(_UAS)}"'
    )


def _envoy(r: Rng, g: LogGenerator, at: datetime) -> str:
    status = _STATUS[r.int(0, 21)]
    flags = "UF" if status >= 500 else "-"
    svc, port, dur = r.pick(("reviews", "ratings", "details", "productpage")), 9080, r.int(1, 400)
    up, me = r.ip(), r.ip()
    rid = f"{r.hex(8)}-{r.hex(4)}-{r.hex(4)}-{r.hex(4)}-{r.hex(12)}"
    return (
        f'[{_iso_ms(at)}] "GET {_path(r)} HTTP/1.1" {status} {flags} via_upstream - "-" 0 '
        f'{r.int(0, 9000)} {dur} {max(dur - 1, 0)} "-" "{r.pick(_UAS)}" "{rid}" '
        f'"{svc}:{port}" "{up}:{port}" outbound|{port}||{svc}.{g.namespace}.svc.cluster.local '
        f"{me}:{r.int(32768, 60999)} {up}:{port} {me}:{r.int(32768, 60999)} - default"
    )


_JAVA_LOGGERS = (
    "c.e.orders.OrderController",
    "o.s.web.servlet.DispatcherServlet",
    "com.zaxxer.hikari.pool.HikariPool",
    "o.a.k.clients.consumer.KafkaConsumer",
    "o.e.cluster.service.ClusterService",
    "c.e.catalog.ProductService",
)


def _java_prefix(r: Rng, at: datetime, level: str) -> str:
    thread = f"http-nio-8080-exec-{r.int(1, 10)}"
    return f"{_iso_ms(at)} {level:>5} 1 --- [{thread:>22}] {r.pick(_JAVA_LOGGERS):<38} : "


def _java(r: Rng, g: LogGenerator, at: datetime) -> str:
    msg = r.pick(
        (
            "Completed GET {p} in {d} ms",
            "Order {n} accepted for user u-{u}",
            "HikariPool-1 - Pool stats (total={c}, active={d8}, idle={c2}, waiting=0)",
            "Committed offsets for partition orders-{d8} at offset {n}",
            "Cache 'products' refreshed with {n} entries in {d} ms",
        )
    )
    text = msg.format(
        p=_path(r),
        d=r.int(2, 900),
        n=r.int(1000, 999999),
        u=r.int(1, 50000),
        c=10,
        d8=r.int(0, 8),
        c2=r.int(1, 10),
    )
    return _java_prefix(r, at, _level(r)) + text


def _json(r: Rng, g: LogGenerator, at: datetime) -> str:
    level = _level(r).lower()
    msg = {"error": "upstream call failed", "warn": "slow request"}.get(level) or r.pick(
        (
            "request completed",
            "order created",
            "cart updated",
            "payment authorized",
            "cache miss",
            "session refreshed",
        )
    )
    rec: dict[str, object] = {
        "ts": _iso_ms(at),
        "level": level,
        "msg": msg,
        "trace_id": r.hex(32),
        "latency_ms": r.int(1, 25000) / 10,
        "method": "GET" if r.int(0, 3) else "POST",
        "path": _path(r),
        "status": 500 if level == "error" else _STATUS[r.int(0, 17)],
        "user_id": f"u-{r.int(1, 50000)}",
    }
    if level == "error":
        rec["error"] = r.pick(_ERRS)
    return json.dumps(rec, separators=(",", ":"))


def _redis(r: Rng, g: LogGenerator, at: datetime) -> str:
    msg = r.pick(
        (
            "* 100 changes in 300 seconds. Saving...",
            "* DB saved on disk",
            f"* Background saving started by pid {r.int(20, 9999)}",
            f"* Fork CoW for RDB: current {r.int(0, 9)} MB, peak {r.int(1, 20)} MB",
            "* Background saving terminated with success",
        )
    )
    return f"1:M {at.day:02d} {_MONTHS[at.month - 1]} {at.year} {at:%H:%M:%S}.{_ms(at)} {msg}"


def _postgres(r: Rng, g: LogGenerator, at: datetime) -> str:
    x = r.int(0, 9)
    msg = (
        f"LOG:  duration: {r.int(100, 900000) / 1000:.3f} ms  statement: SELECT * FROM orders "
        f"WHERE id = {r.int(1, 999999)}"
        if x < 5
        else f"LOG:  connection received: host={r.ip()} port={r.int(32768, 60999)}"
        if x < 7
        else "LOG:  checkpoint starting: time"
        if x < 8
        else f"LOG:  checkpoint complete: wrote {r.int(1, 4000)} buffers "
        f"({r.int(0, 250) / 10:.1f}%)"
        if x < 9
        else 'ERROR:  duplicate key value violates unique constraint "users_email_key"'
    )
    return f"{at:%Y-%m-%d %H:%M:%S}.{_ms(at)} UTC [{r.int(60, 9999)}] {msg}"


def _mysql(r: Rng, g: LogGenerator, at: datetime) -> str:
    conn = r.int(8, 99999)
    msg = r.pick(
        (
            f"[Note] [MY-010914] [Server] Aborted connection {conn} to db: 'app' user: "
            f"'app' host: '{r.ip()}' (Got an error reading communication packets).",
            f"[Warning] [MY-010055] [Server] IP address '{r.ip()}' could not be resolved: "
            "Name or service not known",
            "[Note] [MY-013360] [Server] Plugin "
            "mysql_native_password reported: ''mysql_native_password' is deprecated'",
        )
    )
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond:06d}Z {conn} {msg}"


def _mongo(r: Rng, g: LogGenerator, at: datetime) -> str:
    x, conn = r.int(0, 3), r.int(1, 90000)
    if x < 2:
        head = ("NETWORK", 22943, "listener", "Connection accepted")
        attr: dict[str, object] = {
            "remote": f"{r.ip()}:{r.int(32768, 60999)}",
            "connectionId": conn,
            "connectionCount": r.int(1, 80),
        }
    elif x == 2:
        head, attr = ("NETWORK", 22944, f"conn{conn}", "Connection ended"), {"connectionId": conn}
    else:
        head = ("COMMAND", 51803, f"conn{conn}", "Slow query")
        attr = {"ns": "app.orders", "durationMillis": r.int(100, 3000)}
    rec = {
        "t": {"$date": f"{at:%Y-%m-%dT%H:%M:%S}.{_ms(at)}+00:00"},
        "s": "I",
        "c": head[0],
        "id": head[1],
        "ctx": head[2],
        "msg": head[3],
        "attr": attr,
    }
    return json.dumps(rec, separators=(",", ":"))


def _plain_prefix(r: Rng, at: datetime, level: str) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S},{_ms(at)} {level:<5} [worker-{r.int(1, 8)}] "


def _worker(r: Rng, g: LogGenerator, at: datetime) -> str:
    job, q = r.int(10000, 999999), r.pick(("emails", "reports", "thumbnails", "billing"))
    if r.int(0, 19) == 0:
        return _plain_prefix(r, at, "WARN") + f"job {job} retry {r.int(1, 4)}/5 after timeout"
    msg = r.pick(
        (
            f"job {job} picked up from queue={q}",
            f"job {job} completed in {r.int(5, 9000) / 100:.2f}s",
            f"processed batch {job}: {r.int(1, 500)} items ok",
            f"heartbeat: {r.int(0, 16)} jobs in flight, queue depth {r.int(0, 3000)}",
        )
    )
    return _plain_prefix(r, at, "INFO") + msg


def _generic(r: Rng, g: LogGenerator, at: datetime) -> str:
    level, host, d = _level(r), r.pick(_HOSTS), r.int(1, 2000)
    msgs: tuple[str, ...]
    if level == "WARN":
        msgs = (f"slow call to {host} took {d}ms", f"retrying {host} (attempt {r.int(2, 5)})")
    elif level == "ERROR":
        msgs = (
            f"request to {host} failed: {r.pick(_ERRS)}",
            f"failed to sync object {r.hex(8)}: {r.pick(_ERRS)}",
        )
    else:
        msgs = (
            f"GET {_path(r)} {_STATUS[r.int(0, 17)]} {d}ms",
            f"connected to {host}",
            f"cache refreshed: {r.int(1, 9999)} entries",
            f"reconciled {d % 300} objects",
        )
    return f"{_iso_ms(at)} {level:<5} {r.pick(msgs)}"


def _jnlp_prefix(r: Rng, at: datetime, level: str) -> str:
    """The Jenkins agent's (remoting's) one-line log format."""
    return f"{at:%Y-%m-%d %H:%M:%S}.{_ms(at)}+0000 [id={r.int(1, 40)}]\t{level}\t"


def _jnlp(r: Rng, g: LogGenerator, at: datetime) -> str:
    msg = r.pick(
        (
            "hudson.remoting.PingThread#ping: ping to controller succeeded",
            "hudson.remoting.Request$2#run: executing RemoteLaunchCallable",
            "hudson.remoting.jnlp.Main$CuiListener#status: channel alive, 0 pending requests",
            "org.csanchez.jenkins.plugins.kubernetes.pipeline.ContainerExecDecorator: exec"
            " in container base",
        )
    )
    return _jnlp_prefix(r, at, "INFO") + msg


_RENDERERS: dict[str, Renderer] = {
    "jnlp": _jnlp,
    "nginx": _nginx,
    "envoy": _envoy,
    "java": _java,
    "json": _json,
    "redis": _redis,
    "postgres": _postgres,
    "mysql": _mysql,
    "mongo": _mongo,
    "worker": _worker,
    "generic": _generic,
}


# Multi-line episodes: (first position inside the block, [(level or None, text), ...]).
# A level means "prefix like an ordinary line"; None is a raw continuation line.
Entry = tuple[str | None, str]
Episode = tuple[int, list[Entry]]
Prefixer = Callable[[Rng, datetime, str], str]
_PREFIX: dict[str, Prefixer] = {
    "jnlp": _jnlp_prefix,
    "java": _java_prefix,
    "worker": _plain_prefix,
    "generic": lambda r, at, level: f"{_iso_ms(at)} {level:<5} ",
}
_STARTUP: dict[str, list[Entry]] = {
    "jnlp": [
        ("INFO", "hudson.remoting.jnlp.Main#createEngine: Setting up agent: {pod}"),
        ("INFO", "hudson.remoting.Engine#startEngine: Using Remoting version: 4.10"),
        (
            "INFO",
            "org.jenkinsci.remoting.engine.WorkDirManager#initializeWorkDir: Using"
            " /home/jenkins/agent/remoting as a remoting work directory",
        ),
        (
            "INFO",
            "hudson.remoting.jnlp.Main$CuiListener#status: Locating server among"
            " [http://devops-jenkins.kubesphere-devops-system:80/]",
        ),
        ("INFO", "hudson.remoting.jnlp.Main$CuiListener#status: Agent discovery successful"),
        (None, "  Agent address: devops-jenkins-agent.kubesphere-devops-system"),
        (None, "  Agent port:    50000"),
        ("INFO", "hudson.remoting.jnlp.Main$CuiListener#status: Handshaking"),
        (
            "INFO",
            "hudson.remoting.jnlp.Main$CuiListener#status: Connecting to"
            " devops-jenkins-agent.kubesphere-devops-system:50000",
        ),
        ("INFO", "hudson.remoting.jnlp.Main$CuiListener#status: Trying protocol: JNLP4-connect"),
        (
            "INFO",
            "hudson.remoting.jnlp.Main$CuiListener#status: Remote identity confirmed:"
            " 4b:2e:91:0c:7a:d3:58:16:ef:20:93:5c:c4:18:6a:b1",
        ),
        ("INFO", "hudson.remoting.jnlp.Main$CuiListener#status: Connected"),
    ],
    "java": [
        ("INFO", "Starting Application v2.3.1 using Java 17.0.11 with PID 1"),
        ("INFO", "Tomcat initialized with port 8080 (http)"),
        ("INFO", "Started Application in 6.42 seconds (process running for 7.1)"),
    ],
    "worker": [
        ("INFO", "worker booting: concurrency=8 queues=emails,reports,thumbnails,billing"),
        ("INFO", "connected to broker amqp://rabbitmq:5672//"),
    ],
    "generic": [("INFO", "starting server version=v1.8.2"), ("INFO", "listening on :8080")],
}


def _java_trace(r: Rng) -> list[Entry]:
    exc = r.pick(
        (
            "java.lang.IllegalStateException",
            "java.lang.NullPointerException",
            "org.springframework.dao.DataAccessResourceFailureException",
        )
    )
    lines: list[Entry] = [
        ("ERROR", f"Request processing failed: {exc}"),
        (None, f"{exc}: could not complete request {r.int(1000, 99999)}"),
    ]
    for _ in range(r.int(3, 7)):
        cls = r.pick(("OrderService", "OrderController", "InventoryClient", "PaymentGateway"))
        meth = r.pick(("handle", "reserve", "charge", "lookup", "apply"))
        lines.append((None, f"\tat com.example.orders.{cls}.{meth}({cls}.java:{r.int(20, 400)})"))
    return [
        *lines,
        (
            None,
            "\tat org.springframework.web.servlet.FrameworkServlet.service"
            "(FrameworkServlet.java:883)",
        ),
        (None, "Caused by: java.net.SocketTimeoutException: Read timed out"),
        (None, "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)"),
        (None, f"\t... {r.int(20, 90)} common frames omitted"),
    ]


def _worker_burst(r: Rng) -> list[Entry]:
    job, host = r.int(10000, 999999), r.pick(_HOSTS)
    lines: list[Entry] = [
        ("ERROR", f"job {job} failed: {host}: {r.pick(_ERRS)}") for _ in range(r.int(3, 6))
    ]
    err = r.pick(("ConnectionError", "TimeoutError", "RuntimeError"))
    return [
        *lines,
        ("ERROR", f"giving up on job {job} after 5 attempts"),
        (None, "Traceback (most recent call last):"),
        (None, f'  File "/app/worker/tasks.py", line {r.int(40, 300)}, in process'),
        (None, "    result = handler.run(payload)"),
        (None, f'  File "/app/worker/handlers.py", line {r.int(10, 200)}, in run'),
        (None, f"    raise {err}(msg)"),
        (None, f"{err}: {host}: {r.pick(_ERRS)}"),
    ]


_EPISODES: dict[str, tuple[float, Callable[[Rng], list[Entry]]]] = {
    "java": (0.3, _java_trace),
    "worker": (0.4, _worker_burst),
}


def _remember(cache: dict[int, object], key: int, value: object) -> None:
    if len(cache) >= 256:  # bounded: followers only ever touch a few recent blocks
        cache.clear()
    cache[key] = value


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("naive datetime; use timezone-aware UTC datetimes")
    return t.astimezone(UTC)


class LogGenerator:
    """Endless, deterministic log of one container instance (restart number)."""

    def __init__(
        self,
        namespace: str,
        pod: str,
        container: str,
        image: str,
        started_at: datetime,
        instance: int = 0,
        rate: float | None = None,
    ) -> None:
        """`rate`: lines a second on average instead of the container's own pace (a bench's
        flood); the same lines, closer together."""
        self.namespace, self.pod, self.container, self.image = namespace, pod, container, image
        self.started_at = _aware(started_at)
        self.instance = instance
        self.style = detect_style(image, container)
        self._seed = stable_hash(namespace, pod, container, image, instance)
        r = Rng(self._seed)
        hi = r.int(600_000, MAX_GAP_US)  # per-container pace: chatty vs quiet
        self._gaps = [r.int(MIN_GAP_US, hi) for _ in range(BLOCK)]
        if rate:
            scale = BLOCK * 1_000_000 / rate / sum(self._gaps)
            self._gaps = [max(1, round(gap * scale)) for gap in self._gaps]
        self._block_us = sum(self._gaps)  # every block spans exactly this long -> closed form
        self._cum: dict[int, object] = {}
        self._eps: dict[int, object] = {}

    def _offsets(self, block: int) -> list[int]:
        cum = self._cum.get(block)
        if cum is None:
            rot = Rng(self._seed ^ block).next() % BLOCK  # rotate so blocks don't visibly repeat
            cum = list(accumulate(self._gaps[rot:] + self._gaps[:rot], initial=0))
            _remember(self._cum, block, cum)
        return cum  # type: ignore[return-value]

    def time_of(self, index: int) -> datetime:
        block, pos = divmod(index, BLOCK)
        return self.started_at + (block * self._block_us + self._offsets(block)[pos + 1]) * _US

    def line_count_until(self, t: datetime) -> int:
        """Number of lines strictly before t."""
        x = (_aware(t) - self.started_at) // _US - 1
        if x < 0:
            return 0
        block, rest = divmod(x, self._block_us)
        return block * BLOCK + bisect_right(self._offsets(block), rest, 1) - 1

    def line_at(self, index: int) -> LogLine:
        at = self.time_of(index)
        return LogLine(at, self._text(index, at))

    def lines_between(self, since: datetime, until: datetime) -> Iterator[LogLine]:
        """Lines with since <= at < until, so consecutive windows never overlap."""
        for i in range(self.line_count_until(since), self.line_count_until(until)):
            yield self.line_at(i)

    def tail(self, n: int, until: datetime) -> list[LogLine]:
        end = self.line_count_until(until)
        return [self.line_at(i) for i in range(max(0, end - max(n, 0)), end)]

    def _episode(self, block: int) -> Episode | None:
        if block in self._eps:
            return self._eps[block]  # type: ignore[return-value]
        r = Rng(stable_hash(self._seed, "episode", block))
        ep: Episode | None = None
        if block == 0 and self.style in _STARTUP:
            ep = (0, _STARTUP[self.style])
        elif self.style in _EPISODES and r.unit() < _EPISODES[self.style][0]:
            lines = _EPISODES[self.style][1](r)
            ep = (r.int(0, BLOCK - len(lines)), lines)
        _remember(self._eps, block, ep)
        return ep

    def _text(self, index: int, at: datetime) -> str:
        block, pos = divmod(index, BLOCK)
        r = Rng(stable_hash(self._seed, index))
        ep = self._episode(block)
        if ep is not None and ep[0] <= pos < ep[0] + len(ep[1]):
            level, text = ep[1][pos - ep[0]]
            text = text.replace("{pod}", self.pod)
            return text if level is None else _PREFIX[self.style](r, at, level) + text
        return _RENDERERS[self.style](r, self, at)

    def crash_tail(self) -> list[str]:
        """Last lines printed before the process exits non-zero (shown by previous=true)."""
        r = Rng(stable_hash(self._seed, "crash"))
        lines = _CRASH.get(self.style, _CRASH["generic"])
        return [x.format(host=r.pick(_HOSTS), err=r.pick(_ERRS)) for x in lines]


_CRASH: dict[str, tuple[str, ...]] = {
    "worker": (
        "ERROR [main] unrecoverable error, shutting down",
        "Traceback (most recent call last):",
        '  File "/app/worker/main.py", line 57, in <module>',
        "    broker.connect(retries=5)",
        "ConnectionRefusedError: [Errno 111] Connection refused ({host})",
        "worker exited with status 1",
    ),
    "java": (
        "ERROR 1 --- [main] o.s.boot.SpringApplication : Application run failed",
        'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
        "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)",
        "\tat com.example.orders.ReportBuilder.build(ReportBuilder.java:118)",
    ),
    "json": (
        '{{"level":"fatal","msg":"failed to connect to database",'
        '"error":"dial tcp {host}:5432: connect: connection refused"}}',
    ),
    "generic": (
        "FATAL: cannot reach {host}: {err}",
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6b2f1c]",
        "",
        "goroutine 1 [running]:",
        "main.main()",
        "\t/app/main.go:42 +0x1d",
    ),
}
