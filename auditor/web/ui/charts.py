"""Server-rendered SVG charts: the geometry is computed here, the template draws it (no JS, no CDN)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    label: str
    rate: float | None      # compliant share 0..1 (None: nothing audited)
    compliant: int
    total: int
    y: float = 0
    width: float = 0
    tone: str = "none"
    href: str | None = None


def tone(rate: float | None) -> str:
    if rate is None:
        return "none"
    return "good" if rate >= 0.9 else "fair" if rate >= 0.6 else "poor"


def shorten(label: str, n: int = 22) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def bar_chart(rows: list[Bar], width: int = 380, row_h: int = 28) -> dict:
    """Horizontal bars: label | bar (compliance rate) | "87% (13/15)"."""
    label_w, value_w = 128, 84   # drawn about 1:1 in a third of a laptop screen
    bar_w = width - label_w - value_w
    for i, r in enumerate(rows):
        r.y = 8 + i * row_h
        r.width = round((r.rate or 0) * bar_w, 1)
        r.tone = tone(r.rate)
    return {"rows": rows, "width": width, "height": 16 + len(rows) * row_h, "label_w": label_w,
            "bar_w": bar_w, "row_h": row_h, "bar_h": row_h - 10, "value_x": label_w + bar_w + 8}


@dataclass
class Column:
    label: str
    rate: float | None
    compliant: int
    total: int
    x: float = 0
    y: float = 0
    height: float = 0
    tone: str = "none"
    show_label: bool = True


def time_chart(cols: list[Column], width: int = 1200, height: int = 250) -> dict:
    """Columns per period (compliance rate), gridlines at 0/50/100 %, and a line through them."""
    left, right, top, bottom = 40, 10, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(cols), 1)
    step = plot_w / n
    col_w = max(4.0, min(48.0, step * 0.7))
    every = max(1, round(n / 8))    # at most ~8 labels on the axis
    points = []
    for i, c in enumerate(cols):
        c.x = round(left + i * step + (step - col_w) / 2, 1)
        c.height = round((c.rate or 0) * plot_h, 1)
        c.y = round(top + plot_h - c.height, 1)
        c.tone = tone(c.rate)
        c.show_label = i % every == 0 or i == n - 1
        if c.rate is not None:
            points.append(f"{c.x + col_w / 2:.1f},{c.y:.1f}")
    grid = [{"y": round(top + plot_h * (1 - f), 1), "label": f"{int(f * 100)}%"} for f in (0, 0.5, 1)]
    return {"cols": cols, "width": width, "height": height, "col_w": round(col_w, 1), "grid": grid,
            "left": left, "plot_w": plot_w, "axis_y": top + plot_h, "label_y": top + plot_h + 18,
            "count_y": top + plot_h + 33,
            "line": " ".join(points)}
