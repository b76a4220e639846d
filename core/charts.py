"""Server-rendered SVG charts (pygal); pages show them with <img>, beside their data table."""

from collections.abc import Sequence

import pygal
from django.http import HttpResponse
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#7b8794",
    colors=("#0b6e4f", "#2f5d8a", "#c05621", "#6b46c1", "#b83280"),
    font_family="system-ui, sans-serif",
)


def _chart(chart_class, title: str, labels: Sequence, series: dict[str, Sequence], *,
           y_title: str = "", **options):
    chart = chart_class(
        title=title, x_labels=[str(label) for label in labels], y_title=y_title, style=STYLE,
        js=[], width=720, height=320, show_legend=True, legend_at_bottom=True,
        truncate_legend=-1, print_values=False, **options)
    for name, values in series.items():
        # None leaves a gap: a missing figure is never drawn as zero.
        chart.add(name, [None if value is None else float(value) for value in values])
    return chart


def svg_response(chart) -> HttpResponse:
    """Render a chart as an SVG response."""
    response = HttpResponse(chart.render(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response


def line_chart(title: str, labels: Sequence, series: dict[str, Sequence], *,
               y_title: str = "", percent: bool = False):
    """Build a line chart with one line per series."""
    options = {"value_formatter": (lambda v: f"{v:.1%}")} if percent else {}
    return _chart(pygal.Line, title, labels, series, y_title=y_title, **options)


def bar_chart(title: str, labels: Sequence, series: dict[str, Sequence], *, y_title: str = ""):
    """Build a bar chart with one bar group per label."""
    return _chart(pygal.Bar, title, labels, series, y_title=y_title)


def stacked_bar_chart(title: str, labels: Sequence, series: dict[str, Sequence], *,
                      y_title: str = ""):
    """Build a stacked bar chart: each label a bar, each series a layer."""
    return _chart(pygal.StackedBar, title, labels, series, y_title=y_title)
