"""The summary's chart: orders by day and status, drawn with matplotlib in the manager's
language (a CJK font when one is installed or packaged, else English labels)."""
from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache

from . import lifecycle
from .lifecycle import (
    AWAITING_APPROVAL,
    CANCELLED,
    EN_ROUTE,
    IN_PROGRESS,
    NEW,
    SCHEDULED,
    STATUSES,
    WAITING_PARTS,
)
from .reports import Summary

log = logging.getLogger(__name__)

# Fonts with Chinese glyphs, best first (Debian: fonts-noto-cjk, fonts-wqy-microhei).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Source Han Sans SC",
             "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback",
             "AR PL UMing CN", "Noto Serif CJK SC")
STATUS_COLOURS = {
    NEW: "#9e9e9e", SCHEDULED: "#64b5f6", EN_ROUTE: "#1e88e5", lifecycle.ON_SITE: "#3949ab",
    AWAITING_APPROVAL: "#ffb300", IN_PROGRESS: "#8e24aa", WAITING_PARTS: "#f4511e",
    lifecycle.COMPLETED: "#43a047", lifecycle.CLOSED: "#1b5e20", CANCELLED: "#e53935",
}
drawing = threading.Lock()  # matplotlib's settings are global: one chart at a time


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of a font that has Chinese glyphs, or None.

    First the one shipped with the install (the Noto Sans CJK file of a PyPI package, so a
    plain `pip install` draws Chinese), registered with matplotlib by its path; then an
    installed one. Matplotlib caches the fonts it found on its first run, so a font package
    installed later (Debian's fonts-noto-cjk) is looked for by file as well."""
    from matplotlib import font_manager

    for path in _cjk_font_files():
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):  # unreadable or not a font: try the next
            log.warning("font file %s could not be used", path)
    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    return next((name for name in sorted(installed) if "CJK" in name), None)


def _cjk_font_files() -> list[str]:
    files = []
    try:
        import cvttf_NotoSansCJK_Regular as packaged

        files.append(packaged.get_TTF_path())
    except (ImportError, FileNotFoundError):
        pass
    for folder in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto"):
        for name in ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf"):
            candidate = os.path.join(folder, name)
            if os.path.exists(candidate):
                files.append(candidate)
    return files


def chart_language(lang: str) -> str:
    """The language the chart can be drawn in: Chinese only with a font for it."""
    return lang if lang != "zh" or cjk_font() else "en"


@dataclass(frozen=True)
class ChartWords:
    """The chart's texts, in one language (the front end takes them from its labels)."""

    title: str
    orders_axis: str
    on_time_axis: str
    on_time_line: str
    no_orders: str
    statuses: dict[str, str]  # status -> short name
    day_format: str = "%m-%d"  # strftime of a day under its bar


def draw_chart(summary: Summary, words: ChartWords) -> bytes:
    """A PNG: orders created per day, stacked by status, and the on-time rate as a line.
    Blocking (a fraction of a second): call it in a thread."""
    with drawing:
        return _draw(summary, words)


def _draw(summary: Summary, words: ChartWords) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    days = [d for d in summary.days if d.day <= summary.period.today] or list(summary.days[:1])
    family = [f for f in (cjk_font(), "DejaVu Sans") if f]
    with rc_context({"font.family": family, "font.size": 9, "axes.unicode_minus": False}):
        figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        xs = list(range(len(days)))
        bottoms = [0] * len(days)
        for status in STATUSES:
            heights = [d.by_status.get(status, 0) for d in days]
            if not any(heights):
                continue
            axes.bar(xs, heights, bottom=bottoms, color=STATUS_COLOURS[status], width=0.7,
                     label=words.statuses.get(status, status))
            bottoms = [b + h for b, h in zip(bottoms, heights)]
        axes.set_xticks(xs, [d.day.strftime(words.day_format) for d in days],
                        rotation=45 if len(days) > 10 else 0,
                        fontsize=7 if len(days) > 10 else 9)
        axes.set_ylabel(words.orders_axis)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(max(bottoms, default=0), 1) * 1.15)
        axes.set_title(words.title)
        if not any(bottoms):
            axes.text(0.5, 0.5, words.no_orders, transform=axes.transAxes, ha="center",
                      va="center", color="#757575")
        rates = axes.twinx()
        points = [(x, d.on_time_percent) for x, d in zip(xs, days) if d.arrivals]
        if points:
            rates.plot([x for x, _ in points], [p for _, p in points], color="#212121",
                       marker="o", linewidth=1.5, label=words.on_time_line)
        rates.set_ylim(0, 105)
        rates.yaxis.set_major_formatter(PercentFormatter(100))
        rates.set_ylabel(words.on_time_axis)
        handles, labels = axes.get_legend_handles_labels()
        line_handles, line_labels = rates.get_legend_handles_labels()
        if handles or line_handles:
            figure.legend(handles + line_handles, labels + line_labels,
                          loc="outside lower center", fontsize=8, frameon=False,
                          ncols=min(6, len(handles) + len(line_handles)))
        axes.set_xlim(-0.6, len(days) - 0.4)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


