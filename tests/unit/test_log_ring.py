"""The log ring keeps a line compactly (its text and two ints), and makes its stamp again with
exactly the text the server sent."""

from __future__ import annotations

from kstui.backends.log_streams import LogLine, sort_key, split_stamp
from kstui.screens.log_buffer import LogBuffer, Packed, Stamps
from tests.allocated import kept_by_kstui

LINES = 20_000
BYTES_PER_LINE = 48
"""What the ring may keep per line besides its text: a reference and two 8-byte ints, with
the list's and arrays' over-allocation: ~25 B measured. The ring before kept a LogLine and
its own stamp string per line: ~200 B measured by this test."""


def _stamp(i: int) -> str:
    return f"2026-03-04T05:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{i % 10}{i:05d}123Z"


def _add(ring: LogBuffer, texts: list[str], start: int, end: int) -> None:
    for chunk in range(start, end, 500):  # batches as the view gets them
        batch = [
            LogLine("c", "ns", "pod", "app", _stamp(i), texts[i])
            for i in range(chunk, min(chunk + 500, end))
        ]
        ring.add(batch)


def test_the_ring_keeps_a_line_in_a_few_bytes_besides_its_text() -> None:
    texts = [f"line {i} of the flood" for i in range(LINES)]
    _add(LogBuffer(100), texts, 0, 100)  # what is made once (caches) is made before
    ring = LogBuffer(100_000)
    grown = kept_by_kstui(lambda: _add(ring, texts, 0, LINES), __file__)
    assert len(ring.lines) == LINES
    assert grown / LINES < BYTES_PER_LINE, f"{grown / LINES:.0f} B a line"


def test_stamps_come_back_as_the_server_wrote_them() -> None:
    stamps = [
        "2026-01-01T00:00:05.1Z",  # Go trims trailing zeros
        "2026-01-01T00:00:05.12Z",
        "2026-01-01T00:00:05Z",  # no fraction at all
        "2026-01-01T00:00:05.000000001Z",
        "2026-01-01T00:00:05.100000Z",  # kstui's own notes: six digits, zeros kept
        "2026-01-01T00:00:05.123456789Z",
        "2026-01-01T00:00:05+02:00",  # not the server's form: kept as it came
        "",
    ]
    ring = LogBuffer(100)
    ring.add([LogLine("c", "ns", "p", "app", stamp, f"t{i}") for i, stamp in enumerate(stamps)])
    back = {line.text: line.stamp for line in ring.lines}
    assert back == {f"t{i}": stamp for i, stamp in enumerate(stamps)}
    kept = [line.stamp for line in ring.lines if line.stamp.endswith("Z")]
    assert kept == sorted(kept, key=sort_key)  # in time order, .1 before .12


def test_each_line_keeps_its_source() -> None:
    ring = LogBuffer(100)
    ring.add(
        [
            LogLine("east", "a", "p1", "app", "2026-01-01T00:00:02Z", "two"),
            LogLine("west", "b", "p2", "side", "2026-01-01T00:00:01Z", "one"),
            LogLine("east", "a", "p1", "", "2026-01-01T00:00:03.5Z", "joined", note=True),
        ]
    )
    assert [
        (line.context, line.namespace, line.pod, line.container, line.note, line.text)
        for line in ring.lines
    ] == [
        ("west", "b", "p2", "side", False, "one"),
        ("east", "a", "p1", "app", False, "two"),
        ("east", "a", "p1", "", True, "joined"),
    ]
    assert len(ring.sources) == 3


def test_a_stamp_in_the_second_before_parses_as_the_full_pattern() -> None:
    """Stamps of the second already seen take a shortcut: it must agree with the full pattern
    (a fresh Stamps always takes the pattern), odd stamps included."""
    second = "2026-01-01T00:00:05"
    tails = [".5Z", "Z", ".000000001Z", ".123456789Z", ".1234567890Z", ".Z", ".12a4Z"]
    tails += [".\u0661\u0662Z", "+02:00", ".5", ".5z", "Z ", ".-1Z"]
    shared = Stamps()
    shared.parse(second + ".1Z")
    for tail in tails:
        assert shared.parse(second + tail) == Stamps().parse(second + tail), tail


def test_a_chunk_as_the_server_sent_it_is_kept_as_its_lines_would_be() -> None:
    """A stream's chunk (`stamp text` each) packed without making a LogLine a line keeps the
    same lines, keys and sources as the LogLines split from it."""
    raws = [
        "2026-01-01T00:00:05.12Z second",
        "2026-01-01T00:00:05.1Z first",  # Go trims trailing zeros: .1 before .12
        "2026-01-01T00:00:05Z whole second",
        "2026-01-01T00:00:05+02:00 not the server's form",
        "no stamp at all",
        "2026-01-01T00:00:06.123456789Z  two spaces",
    ]
    as_lines, as_chunk = LogBuffer(100), LogBuffer(100)
    as_lines.add([LogLine("c", "ns", "p", "app", *split_stamp(raw)) for raw in raws])
    pending = Packed()
    as_chunk.pack_lines(("c", "ns", "p", "app"), raws, pending)
    assert pending.newest == {("c", "ns", "p", "app"): pending.keys[-1]}
    assert as_chunk.add_packed(pending)
    assert list(as_chunk.lines) == list(as_lines.lines)
    assert list(as_chunk.keys) == list(as_lines.keys)
    assert as_chunk.received == as_lines.received == len(raws)
