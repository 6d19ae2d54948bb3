"""Charts drawn by matplotlib as SVG: completion by department, the weekly completion trend and a goal's progress
against its target. The same SVG is served to the web pages (as images, so the strict CSP holds) and embedded in
the governance pack."""
from __future__ import annotations

import base64
import io
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display; before anything else from matplotlib is imported

from matplotlib import dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

BRAND, OK, WARN, ERR, MUTED, LINE = "#0b5cad", "#116329", "#7a4d00", "#a40e26", "#4a5563", "#d0d7de"
STATUS_COLOURS = {"on_track": OK, "at_risk": WARN, "off_track": ERR}
_STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "svg.fonttype": "none", "axes.spines.top": False,
          "axes.spines.right": False, "axes.edgecolor": MUTED, "axes.labelcolor": "#1b1f24",
          "xtick.color": MUTED, "ytick.color": MUTED}


def data_uri(svg: str) -> str:
    """A chart for an ``<img src>`` (pages and the pack): the pages' CSP allows data: images, and an image runs no
    script, so matplotlib's SVG is used as it is."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _svg(figure: Figure) -> str:
    # Fixed margins (each chart sets them) rather than bbox_inches="tight": that draws every chart twice.
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _dates(axes, most: int) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=most)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_STYLE):
        return Figure(figsize=(width, height), dpi=96)


def completion_by_group(rows: list[tuple[str, float | None, int, int]], title: str = "Completion by department"
                        ) -> str:
    """Horizontal bars: (label, rate, completed, required) per group, lowest rate at the top."""
    with matplotlib.rc_context(_STYLE):
        shown = sorted([r for r in rows if r[1] is not None], key=lambda r: (r[1], r[0]))[:25]
        if len(rows) > len(shown):
            title = f"{title} (the {len(shown)} lowest of {len(rows)})"
        figure = _figure(7, max(1.6, 0.32 * len(shown) + 0.9))
        axes = figure.subplots()
        labels = [r[0] if len(r[0]) <= 28 else r[0][:27] + "…" for r in shown]
        rates = [r[1] for r in shown]
        colours = [ERR if rate < 0.5 else WARN if rate < 0.8 else OK for rate in rates]
        bars = axes.barh(range(len(shown)), rates, color=colours, height=0.6)
        axes.set_yticks(range(len(shown)), labels)
        axes.set_xlim(0, 1.12)
        axes.xaxis.set_major_formatter(PercentFormatter(1.0))
        axes.axvline(0.8, color=MUTED, linestyle=":", linewidth=1)
        for bar, (_, rate, completed, required) in zip(bars, shown, strict=True):
            axes.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2,
                      f"{rate:.0%} ({completed}/{required})", va="center", fontsize=8, color="#1b1f24")
        axes.invert_yaxis()  # the lowest rate on top, where the eye starts
        longest = max((len(label) for label in labels), default=4)
        figure.subplots_adjust(left=min(0.42, 0.04 + longest * 0.0105), right=0.97,
                               top=1 - 0.3 / figure.get_figheight(), bottom=0.35 / figure.get_figheight())
        axes.set_title(title, loc="left", fontsize=10, fontweight="bold")
        if not shown:
            axes.text(0.5, 0.5, "Nothing is required yet", ha="center", va="center", transform=axes.transAxes)
            axes.set_yticks([])
        return _svg(figure)


def trend(points: list[tuple[date, float | None]], title: str = "Completion rate by week") -> str:
    """The completion rate at the end of each week."""
    with matplotlib.rc_context(_STYLE):
        figure = _figure(7, 2.4)
        axes = figure.subplots()
        known = [(d, r) for d, r in points if r is not None]
        if known:
            axes.plot([d for d, _ in known], [r for _, r in known], color=BRAND, marker="o", markersize=3.5,
                      linewidth=2)
            last_day, last_rate = known[-1]
            axes.annotate(f"{last_rate:.0%}", (last_day, last_rate), textcoords="offset points", xytext=(6, 4),
                          fontsize=9, color=BRAND, fontweight="bold")
        else:
            axes.text(0.5, 0.5, "Nothing is required yet", ha="center", va="center", transform=axes.transAxes)
        axes.set_ylim(0, 1.05)
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        _dates(axes, 7)
        axes.grid(axis="y", color=LINE, linewidth=0.6)
        axes.set_title(title, loc="left", fontsize=10, fontweight="bold")
        figure.subplots_adjust(left=0.09, right=0.95, top=0.88, bottom=0.2)
        return _svg(figure)


def goal_progress(*, title: str, unit: str, baseline: float, baseline_on: date, target: float, deadline: date,
                  values: list[tuple[date, float]], projected: float | None, status: str, today: date) -> str:
    """A goal's recorded values against the straight line from baseline to target, with the projection."""
    with matplotlib.rc_context(_STYLE):
        figure = _figure(7, 2.6)
        axes = figure.subplots()
        axes.plot([baseline_on, deadline], [baseline, target], color=MUTED, linestyle="--", linewidth=1,
                  label="Baseline to target")
        axes.scatter([deadline], [target], color=MUTED, marker="D", s=22, zorder=3)
        axes.annotate(f"target {target:g}{unit}", (deadline, target), textcoords="offset points", xytext=(-4, 6),
                      ha="right", fontsize=8, color=MUTED)
        colour = STATUS_COLOURS.get(status, BRAND)
        if values:
            axes.plot([d for d, _ in values], [v for _, v in values], color=colour, marker="o", markersize=4,
                      linewidth=2, label="Recorded")
            if projected is not None:
                last_day, last_value = values[-1]
                axes.plot([last_day, deadline], [last_value, projected], color=colour, linestyle=":", linewidth=1.5,
                          label="Trend to the deadline")
        axes.axvline(today, color=LINE, linewidth=1)
        axes.set_title(title if len(title) <= 70 else title[:69] + "…", loc="left", fontsize=10, fontweight="bold")
        _dates(axes, 8)
        axes.grid(axis="y", color=LINE, linewidth=0.6)
        if unit:
            axes.set_ylabel(unit)
        axes.legend(loc="best", fontsize=7, frameon=False)
        figure.subplots_adjust(left=0.1, right=0.97, top=0.89, bottom=0.18)
        return _svg(figure)
