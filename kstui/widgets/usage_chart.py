"""UsageChart: CPU, memory and network in/out of one target over a window, one band each, with
a time cursor (left/right, shift for bigger steps, home/end, a click) whose moment and values
are read out on the top line. Data in through `show(...)`/`clear(...)`; `CursorMoved` out.

Drawn by hand with eighth blocks (▁▂▃▄▅▆▇█), one column per time slot, each column the highest
point of its slot (a spike never falls between two columns). Chosen by measuring with
bench/chart_render.py: a 24 h chart (4 metrics x 145 points), CPU ms per frame (new data, one
trip through Textual, an empty frame's cost subtracted), median of 60, on this machine:

    candidate                          80x24      160x48
    this widget, new data              3.1–3.3    7.1–8.3
    this widget, cursor moved          1.8–2.3    3.5–4.1  (rows kept, only re-cut at the cursor)
    textual Sparkline x4              10.7–12.3  36.1–38.1 (no scale, no axis, no cursor)
    textual-plot PlotWidget x4        10.2–10.8  17.7–18.2 (pulls numpy and a hires canvas)
    textual-plotext PlotextPlot x4    15.9–16.5  34.7–36.8 (breaks with plotext 6: needs <6)

Neither library has a time cursor or a readout; this is 3-5x cheaper and adds no dependency.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from kstui.safe_text import inert_line

BLOCKS = " ▁▂▃▄▅▆▇█"
GUTTER = 10
BIG_STEP = 10
"""Points a shift+left/right moves the cursor by."""


@dataclass(frozen=True)
class Band:
    key: str
    name: str
    colour: str


BANDS = (
    Band("cpu", "cpu", "bright_green"),
    Band("memory", "memory", "bright_magenta"),
    Band("net_in", "net in", "bright_cyan"),
    Band("net_out", "net out", "yellow"),
)
TICKS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800)
"""Seconds between the axis's labels: the first that fits."""
_DIM = Style(dim=True)
_CURSOR_BG = "grey30"
_READOUT = Style(bold=True)


# ---------------------------------------------------------------------------- units (pure)


def _scaled(value: float, units: Sequence[str], base: float) -> str:
    index = 0
    while abs(value) >= base * 0.9995 and index < len(units) - 1:
        value /= base
        index += 1
    if index == 0:
        return f"{value:.0f} {units[0]}"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f} {units[index]}"


def format_value(metric: str, value: float | None, short: bool = False) -> str:
    """A metric's figure with its unit: cpu `250m`/`1.50` cores, memory `12.3 MiB`, network
    `1.20 KiB/s` (`short`: the gutter's compact form)."""
    if value is None:
        return "—"
    if metric == "cpu":
        if value < 1:
            return f"{value * 1000:.0f}m"
        return f"{value:.2f}" if short else f"{value:.2f} cores"
    if metric == "memory":
        text = _scaled(value, ("B", "KiB", "MiB", "GiB", "TiB"), 1024)
    else:
        text = _scaled(value, ("B/s", "KiB/s", "MiB/s", "GiB/s"), 1024)
    if short:  # 12.3 MiB → 12.3M, 1.20 KiB/s → 1.20K/s
        number, _space, unit = text.partition(" ")
        prefix = "" if unit.startswith("B") else unit[:1]
        return number + prefix + ("/s" if unit.endswith("/s") else "")
    return text


def format_moment(moment: float, span: float, end: float) -> str:
    """The cursor's moment: local clock time (weekday too over a week) and how long ago."""
    local = time.localtime(moment)
    clock = time.strftime("%a %H:%M" if span > 86_400 else "%H:%M:%S", local)
    ago = end - moment
    if ago <= 0:
        return f"{clock} (now)" if span <= 3600 else clock
    if ago < 3600:
        relative = f"{ago / 60:.0f}m" if ago >= 60 else f"{ago:.0f}s"
    elif ago < 86_400:
        relative = f"{ago / 3600:.1f}h".replace(".0h", "h")
    else:
        relative = f"{ago / 86_400:.1f}d".replace(".0d", "d")
    return f"{clock} (−{relative})"


def baseline(values: Sequence[float | None], top: float) -> float:
    """Where a band's scale starts: 0, unless every value sits high (the lowest above 40% of
    the highest), when a flat-looking full bar would hide the changes; then a little under
    the lowest, and the gutter says so (the band's lowest row is labelled with it)."""
    low = min((v for v in values if v is not None), default=0.0)
    if top <= 0 or low <= 0.4 * top:
        return 0.0
    return max(0.0, low - (top - low) * 0.25)


def columns_of(
    points: Sequence[tuple[float, float]], start: float, end: float, width: int, step: float
) -> list[float | None]:
    """Each column's highest point in its slot of [start, end); a column narrower than a step
    with no point of its own shows the point whose step covers it; None where none does
    (a gap stays a gap)."""
    out: list[float | None] = [None] * width
    span = max(end - start, 1e-9)
    held: list[float | None] = [None] * width
    for when, value in points:
        if value != value:  # NaN: no value at that moment
            continue
        column = min(width - 1, max(0, int((when - start) / span * width)))
        current = out[column]
        if current is None or value > current:
            out[column] = value
        last = min(width - 1, int((when + step - start) / span * width - 1e-9))
        for covered in range(column + 1, last + 1):
            held[covered] = value
    return [value if value is not None else held[i] for i, value in enumerate(out)]


def column_of(moment: float, start: float, end: float, width: int) -> int:
    span = max(end - start, 1e-9)
    return min(width - 1, max(0, int((moment - start) / span * width)))


class UsageChart(Widget, can_focus=True):
    DEFAULT_CSS = """
    UsageChart { height: 1fr; min-height: 6; }
    UsageChart:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", "earlier", show=False, id="chart.cursor_left"),
        Binding("right", "move(1)", "later", show=False, id="chart.cursor_right"),
        Binding("shift+left", f"move(-{BIG_STEP})", "earlier ×10", show=False, id="chart.far_left"),
        Binding("shift+right", f"move({BIG_STEP})", "later ×10", show=False, id="chart.far_right"),
        Binding("home,g", "move_to(0)", "first", show=False, id="chart.first"),
        Binding("end,G", "move_last", "last", show=False, id="chart.last"),
    ]

    class CursorMoved(Message):
        def __init__(self, chart: UsageChart, moment: float) -> None:
            super().__init__()
            self.chart = chart
            self.moment = moment

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.start = self.end = self.step = 0.0
        self.series: dict[str, dict[float, float]] = {}
        self._points: dict[str, list[tuple[float, float]]] = {}
        self.cursor = 0
        """Index of the cursor's moment on the grid (0 = start)."""
        self.message = "no data yet"
        self._frame: tuple[tuple[int, int, int], list[list[float | None]]] | None = None
        self._strips: dict[int, Strip] = {}
        self._strips_size = (0, 0)
        self._texts: dict[tuple[int, int], tuple[str, str, Band]] = {}
        self._version = 0

    # ------------------------------------------------------------------ data in
    def show(
        self,
        start: float,
        end: float,
        step: float,
        series: Mapping[str, Sequence[tuple[float, float]]],
        *,
        keep_moment: bool = True,
    ) -> None:
        """New data; the cursor stays at its moment when the new grid holds it (at the newest
        point if it was there), else goes to the newest point."""
        at_newest = bool(self.step) and self.cursor == self.points - 1
        moment = self.cursor_time if keep_moment and self.step and not at_newest else None
        self.start, self.end, self.step = start, end, step
        self._points = {key: list(points) for key, points in series.items()}
        self.series = {key: dict(points) for key, points in self._points.items()}
        self.message = ""
        last = self.points - 1
        if moment is not None and start <= moment <= end:
            self.cursor = min(last, round((moment - start) / step))
        else:
            self.cursor = last
        self._changed()

    def clear(self, message: str) -> None:
        """No chart: `message` (data, made inert: one line) instead, from the readout's line
        (wrapped at spaces where the chart is narrower than it)."""
        self.series, self._points, self.step = {}, {}, 0.0
        self.message = inert_line(message)
        self._changed()

    def _changed(self) -> None:
        self._version += 1
        self._frame = None
        self._strips.clear()
        self._texts.clear()
        self.refresh()

    # ------------------------------------------------------------------ the cursor
    @property
    def points(self) -> int:
        return round((self.end - self.start) / self.step) + 1 if self.step else 0

    @property
    def cursor_time(self) -> float:
        return self.start + self.cursor * self.step

    def values_at_cursor(self) -> dict[str, float | None]:
        moment = self.cursor_time
        return {band.key: self.series.get(band.key, {}).get(moment) for band in BANDS}

    def readout(self, width: int = 0) -> str:
        """The top line: the cursor's moment and each metric's figure then (shorter words
        when `width` is too narrow for the full ones)."""
        if not self.step:
            return self.message
        values = self.values_at_cursor()
        moment = format_moment(self.cursor_time, self.end - self.start, self.end)
        full = " · ".join(
            [moment] + [f"{band.name} {format_value(band.key, values[band.key])}" for band in BANDS]
        )
        if not width or len(full) <= width:
            return full
        short = {"cpu": "cpu", "memory": "mem", "net_in": "in", "net_out": "out"}
        return " ".join(
            [moment.split(" (")[0]]
            + [f"{short[b.key]} {format_value(b.key, values[b.key], short=True)}" for b in BANDS]
        )

    def action_move(self, by: int) -> None:
        self.action_move_to(self.cursor + by)

    def action_move_last(self) -> None:
        self.action_move_to(self.points - 1)

    def action_move_to(self, index: int) -> None:
        if not self.step:
            return
        index = max(0, min(self.points - 1, index))
        if index != self.cursor:
            self.cursor = index
            self._strips.clear()
            self.refresh()
            self.post_message(self.CursorMoved(self, self.cursor_time))

    def on_click(self, event: events.Click) -> None:
        """A click on the chart puts the cursor on the point of that column."""
        cw, _lines = self._layout(self.size.width, self.size.height)
        column = event.x - GUTTER - 1
        if not self.step or not 0 <= column < cw:
            return
        span = self.end + self.step - self.start
        self.action_move_to(int((column + 0.5) / cw * span // self.step))

    # ------------------------------------------------------------------ drawing
    def _layout(self, width: int, height: int) -> tuple[int, list[tuple[int, int, int]]]:
        """(chart columns, each line under the readout as (band, row, rows of that band));
        rows left over go to the first bands, the time axis is the last line."""
        each, extra = divmod(max(len(BANDS), height - 2), len(BANDS))
        lines = []
        for index in range(len(BANDS)):
            rows = each + (1 if index < extra else 0)
            lines += [(index, row, rows) for row in range(rows)]
        return max(1, width - GUTTER - 1), lines

    def _columns(self, width: int, height: int) -> list[list[float | None]]:
        key = (width, height, self._version)
        if self._frame is None or self._frame[0] != key:
            cw, _lines = self._layout(width, height)
            columns = [
                columns_of(
                    self._points.get(band.key, ()), self.start, self.end + self.step, cw, self.step
                )
                for band in BANDS
            ]
            self._frame = (key, columns)
            self._texts.clear()
        return self._frame[1]

    def on_resize(self) -> None:
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self._strips_size != (width, height):  # lines drawn at another size never show
            self._strips.clear()
            self._strips_size = (width, height)
        strip = self._strips.get(y)
        if strip is None:
            strip = self._line(y, width, height).adjust_cell_length(width, self.rich_style)
            self._strips[y] = strip
        return strip

    def _line(self, y: int, width: int, height: int) -> Strip:
        if not self.step:  # a message: wrapped over the said there are, never cut mid-word
            said = textwrap.wrap(self.message, max(1, width), break_on_hyphens=False) or [""]
            if len(said) > height:
                said = said[: max(1, height)]
                said[-1] = said[-1][: max(0, width - 1)] + "…"
            return Strip([Segment(said[y], _READOUT)]) if y < len(said) else Strip.blank(width)
        if y == 0:
            line = self.readout(width)
            if len(line) > width:  # one line: a long message ends in an ellipsis
                line = line[: max(0, width - 1)] + "…"
            return Strip([Segment(line, _READOUT)])
        if not self.step:
            return Strip.blank(width)
        cw, lines = self._layout(width, height)
        if y > len(lines):
            return self._axis(cw) if y == len(lines) + 1 else Strip.blank(width)
        band_index, row, rows = lines[y - 1]
        label, text, band = self._row(band_index, row, rows, width, height)
        colour = Style(color=band.colour)
        under = Style(color=band.colour, bgcolor=_CURSOR_BG)
        segments = [Segment(f"{label[:GUTTER]:>{GUTTER}}", colour), Segment("│", _DIM)]
        cursor = column_of(self.cursor_time, self.start, self.end + self.step, cw)
        if text[:cursor]:
            segments.append(Segment(text[:cursor], colour))
        segments.append(Segment(text[cursor] if text[cursor] != " " else "│", under))
        if text[cursor + 1 :]:
            segments.append(Segment(text[cursor + 1 :], colour))
        return Strip(segments)

    def _row(
        self, band_index: int, row: int, rows: int, width: int, height: int
    ) -> tuple[str, str, Band]:
        """A band's row as (gutter label, block characters): kept while the data and size
        stay, so a cursor move only cuts it again around the cursor."""
        columns = self._columns(width, height)[band_index]  # a new size drops the rows kept
        key = (band_index, row)
        cached = self._texts.get(key)
        if cached is not None:
            return cached
        band = BANDS[band_index]
        top = max((v for v in columns if v is not None), default=0.0) or 1.0
        floor = baseline(columns, top) if rows >= 3 else 0.0
        if row == 0:
            label = format_value(band.key, top, short=True) if rows > 1 else band.name
        elif row == rows - 1 and floor:
            label = format_value(band.key, floor, short=True)
        elif row == (rows - 2 if floor else rows - 1):
            label = band.name
        else:
            label = ""
        span = top - floor or 1.0
        from_bottom = rows - 1 - row  # this row shows eighths 8*from_bottom … 8*from_bottom+8
        chars = []
        for value in columns:
            if value is None:
                chars.append(" ")
                continue
            eighths = max(1, round((value - floor) / span * rows * 8)) if value > floor else 0
            chars.append(BLOCKS[max(0, min(8, eighths - 8 * from_bottom))])
        found = (label, "".join(chars), band)
        self._texts[key] = found
        return found

    def _axis(self, cw: int) -> Strip:
        """Clock times under the chart at round moments (every 5 minutes, 1 hour, 1 day …),
        as many as fit."""
        span = self.end - self.start + self.step
        fmt = "%a %H:%M" if span > 2 * 86_400 else "%H:%M"
        label_width = len(time.strftime(fmt, time.localtime(self.start))) + 3
        fits = max(1, cw // label_width)
        every = next((tick for tick in TICKS if span / tick <= fits), TICKS[-1])
        offset = time.localtime(self.start).tm_gmtoff  # round in local time
        first = ((self.start + offset) // every + 1) * every - offset
        cells = [" "] * cw
        moment = first
        while moment < self.end + self.step:
            column = column_of(moment, self.start, self.end + self.step, cw)
            label = "╵" + time.strftime(fmt, time.localtime(moment))
            if column + len(label) <= cw and all(
                c == " " for c in cells[column : column + len(label)]
            ):
                cells[column : column + len(label)] = list(label)
            moment += every
        return Strip([Segment(" " * (GUTTER + 1)), Segment("".join(cells), _DIM)])
