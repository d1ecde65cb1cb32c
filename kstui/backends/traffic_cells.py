"""The Traffic section's cells and lines (pure): the list's rows, the preview of the routes a
weight would give, the health table's rows, the journal's text."""

from __future__ import annotations

import time

from kstui.backends.observe_cells import sparkline
from kstui.backends.traffic_guard import Verdict, millis, percent
from kstui.backends.traffic_health import Health
from kstui.backends.traffic_journal import Entry
from kstui.backends.traffic_model import Source, Split, StrategyType
from kstui.model import Column, Row, Tone, human_age

SPARK = 10

LIST_COLUMNS = (
    Column("CLUSTER", max_width=16),
    Column("PROJECT", max_width=24),
    Column("NAME", max_width=32),
    Column("TYPE", max_width=18),
    Column("WEIGHTS", max_width=28),
    Column("GOVERNOR", max_width=10),
    Column("SINCE", numeric=True, max_width=10),
    Column("NOTE", max_width=48),
)

HEALTH_COLUMNS = (
    Column("VERSION", max_width=16),
    Column("WEIGHT", numeric=True),
    Column("READY", numeric=True),
    Column("REQ/S", numeric=True),
    Column("5XX", numeric=True),
    Column("P95", numeric=True),
    Column("REQ/S ~", max_width=SPARK),
    Column("5XX ~", max_width=SPARK),
    Column("P95 ~", max_width=SPARK),
)


def weights_cell(split: Split) -> str:
    if not split.weights:
        return "—"
    return " · ".join(f"{version} {weight}" for version, weight in split.weights)


def type_cell(split: Split) -> str:
    if split.source is Source.VIRTUAL_SERVICE:
        return "istio split"
    if split.source is Source.HTTP_ROUTE:
        return "gateway split"
    return str(split.type) + (" (tcp)" if split.protocol == "tcp" else "")


def at_weight(split: Split, now: float) -> str:
    """How long it has stayed at a partial weight ("≥": at least, dated from first seen)."""
    if not split.partial or split.partial_since is None:
        return "—"
    age = human_age(max(now - split.partial_since, 0))
    return f"≥{age}" if split.since_seen else age


def note_cell(split: Split) -> str:
    notes = list(split.notes)
    if not split.following:
        wanted = " · ".join(f"{v} {w}" for v, w in split.wanted)
        notes.append(f"routing pending ({wanted or 'governor ' + split.governor})")
    if split.mirror:
        notes.append(f"mirror → {split.mirror}")
    if split.match:
        notes.append(f"{split.new} when {split.match}")
    if split.policy and split.policy != "WaitForWorkloadReady":
        notes.append(split.policy)
    return "; ".join(notes)


def list_columns(clusters: int) -> tuple[Column, ...]:
    """CLUSTER only when the splits are on more than one (80 columns hold the rest)."""
    return LIST_COLUMNS if clusters > 1 else LIST_COLUMNS[1:]


def split_row(split: Split, now: float, clusters: int = 2) -> Row:
    tone = Tone.NORMAL
    if not split.following or split.notes:
        tone = Tone.WARN
    elif split.partial:
        tone = Tone.NORMAL
    cells = (
        split.cluster,
        split.namespace,
        split.name,
        type_cell(split),
        weights_cell(split),
        split.governor or "—",
        at_weight(split, now),
        note_cell(split),
    )
    return Row(split.key, cells if clusters > 1 else cells[1:], tone)


def resulting(split: Split, weight: int) -> tuple[tuple[tuple[str, int], ...], str]:
    """The routes `weight` would give ((version, share) pairs) and the governor (§5.3)."""
    pairs = ((split.old, 100 - weight), (split.new, weight))
    if split.source is not Source.STRATEGY:
        return pairs, ""
    if split.type is not StrategyType.CANARY:
        return pairs, split.governor
    return pairs, split.new if weight == 100 else split.old if weight == 0 else ""


def preview_lines(split: Split, weight: int, verdict: Verdict | None = None) -> list[str]:
    """What apply would leave: the routes, the governor, and the guard's word."""
    pairs, governor = resulting(split, weight)
    routes = ", ".join(f"{version} {share}%" for version, share in pairs)
    now = weights_cell(split)
    if weight == split.template_weight:
        lines = [f"routes now: {split.host} → {now}  (←/→ ±5, ,/. ±1, % exact)"]
    else:
        lines = [f"after apply: {split.host} → {routes}  (now {now})"]
        if split.source is Source.STRATEGY:
            lines.append(
                f"governor: {governor or '(none)'}"
                + ("  — that version takes 100% on every port" if governor else "")
            )
    if verdict is not None and verdict.blocked:
        lines.append("guard: " + "; ".join(verdict.reasons))
    elif verdict is not None and verdict.unknown:
        lines.append(verdict.unknown)
    return lines


def health_rows(split: Split, health: Health) -> list[Row]:
    rows = []
    for version in (split.old, split.new):
        figures = health.of(version)
        ready = "?" if figures.ready is None else f"{figures.ready}/{figures.desired}"
        rate = "—" if figures.rate is None else f"{figures.rate:.2f}"
        weight = split.weight_of(version)
        tone = Tone.NORMAL
        if figures.ready == 0:
            tone = Tone.ERROR
        rows.append(
            Row(
                version,
                (
                    version,
                    "—" if weight is None else f"{weight}%",
                    ready,
                    rate,
                    percent(figures.error_ratio),
                    millis(figures.p95_ms),
                    sparkline(figures.rates, SPARK),
                    sparkline(figures.errors, SPARK),
                    sparkline(figures.p95s, SPARK),
                ),
                tone,
            )
        )
    return rows


def figures_of(health: Health, versions: tuple[str, ...]) -> dict[str, dict[str, object]]:
    """The figures the guard judged, for the journal."""
    return {
        version: {
            "rate": health.of(version).rate,
            "error_ratio": health.of(version).error_ratio,
            "p95_ms": health.of(version).p95_ms,
            "window": health.window,
        }
        for version in versions
    }


def journal_text(entries: list[Entry], path: str) -> str:
    if not entries:
        return f"no guard override recorded yet ({path})"
    lines = [f"{len(entries)} override(s), newest first — {path}", ""]
    for entry in entries:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.at))
        lines.append(
            f"{stamp} UTC  {entry.context} {entry.namespace}/{entry.name}: {entry.action}"
            + (f"  by {entry.user}" if entry.user else "")
        )
        lines += [f"    why stopped: {reason}" for reason in entry.reasons]
        for version, figures in entry.figures.items():
            ratio = figures.get("error_ratio")
            p95 = figures.get("p95_ms")
            rate = figures.get("rate")
            lines.append(
                f"    {version}: {'—' if rate is None else f'{rate:.2f}'} req/s, "
                f"5xx {percent(ratio)}, p95 {millis(p95)} over {figures.get('window')}"
            )
        lines.append("")
    return "\n".join(lines)
