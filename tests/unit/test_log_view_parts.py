"""The log view's toolkit-free parts: the ring in time order and its dropped count, the
server timestamp order, JSON shown pretty or flattened, `since`, and the `:logs`/`:events`
commands."""

from __future__ import annotations

import pytest

from kstui.backends.log_streams import LogLine, LogOptions, parse_since, sort_key, split_stamp
from kstui.command_line import CommandError, OpenEvents, OpenLogs, parse
from kstui.screens.log_asks import parse_options
from kstui.screens.log_buffer import LogBuffer, json_lines


def line(stamp: str, text: str = "x", context: str = "host") -> LogLine:
    return LogLine(context, "ns", "pod", "app", stamp, text)


def test_go_trims_fraction_zeros_and_the_order_still_holds() -> None:
    stamps = ["2026-01-01T00:00:05.12Z", "2026-01-01T00:00:05.1Z", "2026-01-01T00:00:05Z"]
    assert sorted(stamps, key=sort_key) == stamps[::-1]


def test_split_stamp_keeps_a_line_without_one() -> None:
    assert split_stamp("2026-01-01T00:00:05.1Z hello world") == (
        "2026-01-01T00:00:05.1Z",
        "hello world",
    )
    assert split_stamp("hello world") == ("", "hello world")


def test_the_ring_merges_in_time_order_and_counts_what_it_drops() -> None:
    ring = LogBuffer(3)
    assert ring.add([line("2026-01-01T00:00:01Z"), line("2026-01-01T00:00:03Z")])
    # a line of another cluster, older than the newest kept: merged in place, not appended
    assert not ring.add([line("2026-01-01T00:00:02Z", context="member")])
    assert [entry.context for entry in ring.lines] == ["host", "member", "host"]
    ring.add([line("2026-01-01T00:00:04Z"), line("2026-01-01T00:00:05Z")])
    assert [entry.stamp[-3:] for entry in ring.lines] == ["03Z", "04Z", "05Z"]
    assert (ring.dropped, ring.received) == (2, 5)


def test_json_pretty_and_flattened_to_fields() -> None:
    text = '{"level": "warn", "msg": "slow", "http": {"status": 503, "path": "/pay"}}'
    assert json_lines(text, "pretty", ())[:2] == ["{", '  "level": "warn",']
    assert json_lines(text, "fields", ("level", "http.status")) == ["level=warn http.status=503"]
    assert json_lines(text, "fields", ()) == ["level=warn msg=slow http.status=503 http.path=/pay"]
    assert json_lines("{not json", "pretty", ()) == ["{not json"]


def test_since_and_stream_options() -> None:
    assert parse_since("5m") == 300
    assert parse_since("2h") == 7200
    with pytest.raises(ValueError, match="30s, 5m, 1h or 2d"):
        parse_since("5 minutes")
    options = parse_options("tail=50 since=1h", LogOptions())
    assert (options.tail, options.since) == (50, 3600)
    assert parse_options("tail=all since=none", options).tail is None
    with pytest.raises(ValueError, match="tail"):
        parse_options("tail=lots", options)


def test_logs_and_events_commands() -> None:
    assert parse("logs -l app=web -A @host,member --since 5m") == OpenLogs(
        selector="app=web", namespace="", contexts=("host", "member"), since="5m"
    )
    assert parse("logs api-1 -n shop --previous --tail 20") == OpenLogs(
        pod="api-1", namespace="shop", tail=20, previous=True
    )
    with pytest.raises(CommandError, match="pod name or -l"):
        parse("logs")
    assert parse("events") == OpenEvents()
    assert parse("events -A --warnings") == OpenEvents(namespace="", warnings=True)
    assert parse("events shop @member") == OpenEvents(namespace="shop", context="member")


def test_plain_rows_are_the_rows_plain_text_and_grow_the_prefix_alike() -> None:
    """Each line that comes in is filtered and measured by `plain_rows` (no Texts); the rows
    drawn later must read the same, prefix padding included."""
    from kstui.screens.log_buffer import LogLook
    from kstui.screens.log_rows import plain_rows, rows_of

    lines = [
        LogLine("host", "ns", "p", "app", "2026-01-01T00:00:01Z", "plain \x1b[31mred\x07 ok"),
        LogLine("member", "ns", "pod-long", "sidecar", "", "joined", note=True),
        LogLine("host", "ns", "日本", "app", "2026-01-01T00:00:02Z", '{"a": {"b": 1}, "c": "x"}'),
        LogLine("host", "ns", "p", "app", "2026-01-01T00:00:03Z", "tab\there\r\nand bell\x07"),
    ]
    for json_mode in ("raw", "pretty", "fields"):
        plain_look = LogLook(json_mode=json_mode, timestamps=True, show_context=True)
        plain_look.show_pod = plain_look.show_container = True
        text_look = LogLook(json_mode=json_mode, timestamps=True, show_context=True)
        text_look.show_pod = text_look.show_container = True
        for entry in lines:
            texts = [row.plain for row in rows_of(text_look, None, entry)]
            assert plain_rows(plain_look, entry) == texts
            assert plain_look.widths == text_look.widths
            pad = (
                text_look.widths.get("prefix", 0) + 2
            )  # drawn later, at the pad it was written with
            assert plain_rows(plain_look, entry, pad) == [
                row.plain for row in rows_of(text_look, None, entry, pad)
            ]
