"""`:logs` and `:events` (command_line.py) made into their screens, and the logs that other
sections open (ScreenEnv.open_logs): which contexts, which namespace (the namespace rule:
the one named, else each context's current one), which options."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from textual.app import App

from kstui.backends.event_groups import EventScope
from kstui.backends.log_streams import LogOptions, LogScope, parse_since, rfc3339
from kstui.backends.observe_logs import LogPick
from kstui.backends.session import Session
from kstui.command_line import OpenEvents, OpenForwards, OpenLogs
from kstui.screens.events import EventsScreen
from kstui.screens.logs import LogsScreen


def _unknown(session: Session, names: Sequence[str]) -> str:
    missing = [name for name in names if name not in session.kubeconfig.contexts]
    if not missing:
        return ""
    return (
        f"no context {', '.join(missing)} in the kubeconfig; known: {', '.join(session.contexts)}"
    )


def command_screen(
    session: Session,
    command: OpenLogs | OpenEvents,
    context: str | None,
    frozen_now: float | None = None,
) -> LogsScreen | EventsScreen | str:
    """The screen a `:logs`/`:events` line opens, or what is wrong with it."""
    if isinstance(command, OpenEvents):
        name = command.context or context or session.context
        if problem := _unknown(session, [name]):
            return problem
        namespace = session.namespace_of(name) if command.namespace is None else command.namespace
        scope = EventScope(namespace, warnings=command.warnings)
        return EventsScreen(session.backend(name), scope, frozen_now=frozen_now)
    names = list(command.contexts) or [context or session.context]
    if problem := _unknown(session, names):
        return problem
    try:
        since = parse_since(command.since) if command.since else None
    except ValueError as error:
        return str(error)
    scopes = []
    for name in names:
        namespace = session.namespace_of(name) if command.namespace is None else command.namespace
        where = LogScope(name, namespace, pod=command.pod, selector=command.selector)
        scopes.append((session.backend(name), where))
    return LogsScreen(scopes, LogOptions(command.tail, since, command.previous))


async def open_command(
    app: App[Any],
    session: Session,
    command: OpenLogs | OpenEvents | OpenForwards,
    context: str | None,
    frozen_now: float | None,
) -> None:
    if isinstance(command, OpenForwards):
        from kstui.screens.port_forwards import PortForwardsScreen, forwards_of

        await app.push_screen(PortForwardsScreen(forwards_of(app)))
        return
    made = command_screen(session, command, context, frozen_now)
    if isinstance(made, str):
        app.notify(made, title="command", severity="error")
    else:
        await app.push_screen(made)


def pods_logs(session: Session, context: str, namespace: str, pods: Sequence[str]) -> LogsScreen:
    """The logs of the first of `pods`, every container (ScreenEnv.open_logs)."""
    name = context or session.context
    return LogsScreen([(session.backend(name), LogScope(name, namespace, pod=pods[0]))])


def window_logs(
    session: Session,
    context: str,
    namespace: str,
    *,
    pods: Sequence[str] = (),
    selector: str = "",
    start: float,
    end: float,
) -> LogsScreen:
    """The logs of `pods` (or every pod of `selector`) from `start` to `end` (unix seconds),
    not followed: what a chart's `l` opens for the minutes around its cursor (ChartPane.LogsAt).
    Asked with `sinceTime`; each stream stops at its first line after `end`."""
    name = context or session.context
    backend = session.backend(name)
    if selector or not pods:
        scopes = [(backend, LogScope(name, namespace, selector=selector))]
        what = f"{namespace} -l {selector}" if selector else namespace
    else:
        scopes = [(backend, LogScope(name, namespace, pod=pod)) for pod in pods]
        what = f"{namespace}/{pods[0]}" + (f" +{len(pods) - 1} pods" if len(pods) > 1 else "")
    options = LogOptions(tail=None, since_time=rfc3339(start), until_time=rfc3339(end + 0.999))
    clock = "%H:%M:%S"
    window = (
        f"{time.strftime(clock, time.localtime(start))}–{time.strftime(clock, time.localtime(end))}"
    )
    return LogsScreen(scopes, options, title=f"logs {what} {window} @ {name}")


def _span(start: float, end: float) -> str:
    clock = "%H:%M:%S"
    return (
        f"{time.strftime(clock, time.localtime(start))}–{time.strftime(clock, time.localtime(end))}"
    )


def picked_logs(
    session: Session, pick: LogPick, *, start: float | None = None, end: float | None = None
) -> LogsScreen:
    """The logs of an Observe row's pods (observe_logs.pick_logs): followed now, or from
    `start` to `end` (a chart's cursor), not followed."""
    name = pick.context or session.context
    backend = session.backend(name)
    if pick.pods:
        scopes = [
            (backend, LogScope(name, ns, pod=pod, containers=pick.containers))
            for ns, pod in pick.pods
        ]
    else:
        scopes = [(backend, LogScope(name, pick.namespace, selector=pick.selector))]
    what = pick.what + (f" (+{pick.left_out} pods left out)" if pick.left_out else "")
    if start is None or end is None:
        return LogsScreen(scopes, LogOptions(), title=f"logs {what} @ {name}")
    options = LogOptions(tail=None, since_time=rfc3339(start), until_time=rfc3339(end + 0.999))
    return LogsScreen(scopes, options, title=f"logs {what} {_span(start, end)} @ {name}")
