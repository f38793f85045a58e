"""The SVG charts are well-formed, accessible, scaled from zero and free of style attributes."""

import re
import xml.etree.ElementTree as ET

import pytest

from intentsync.kit.charts import (
    Series,
    bar_chart,
    legend,
    line_chart,
    nice_ceiling,
    nice_step,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    assert "style=" not in markup  # the console's CSP would drop inline styles
    return ET.fromstring(markup)


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [
        (0, 1, 1),
        (1, 1, 1),
        (7, 8, 2),
        (9, 10, 2),
        (10, 10, 2),
        (100, 100, 20),
        (220, 250, 50),
        (156, 200, 50),
        (4_600, 5_000, 1_000),
    ],
)
def test_axes_end_on_a_round_gridline(value: float, top: float, step: float) -> None:
    assert nice_ceiling(value) == top
    assert nice_step(value) == step
    assert (top / step).is_integer()


def test_a_line_chart_has_a_named_path_per_series_and_breaks_at_gaps() -> None:
    markup = line_chart(
        title="Score <history>",
        labels=["d1", "d2", "d3", "d4"],
        series=[Series("Overall", [10, 20, None, 40]), Series("G2", [0, 0, 5, 5])],
        y_max=100,
    )
    root = _parse(markup)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Score <history>"  # escaped in the markup
    paths = root.findall(f"{SVG}path")
    assert [p.get("data-series") for p in paths] == ["Overall", "G2"]
    assert [p.get("data-points") for p in paths] == ["3", "4"]
    overall = paths[0].get("d") or ""
    assert overall.count("M") == 2  # the gap on d3 lifts the pen
    assert overall.count("L") == 1


def test_line_chart_scales_from_zero_to_y_max() -> None:
    root = _parse(
        line_chart(title="t", labels=["a", "b"], series=[Series("s", [0, 100])], y_max=100)
    )
    d = root.findall(f"{SVG}path")[0].get("d") or ""
    points = [tuple(map(float, p.split())) for p in re.findall(r"[ML]([\d.]+ [\d.]+)", d)]
    (x0, y0), (x1, y1) = points
    assert y0 > y1  # 0 at the bottom, 100 at the top
    assert x0 < x1
    gridlines = [float(t.text or "0") for t in root.findall(f"{SVG}text")[:5]]
    assert gridlines == [0, 20, 40, 60, 80]


def test_mismatched_series_are_refused() -> None:
    with pytest.raises(ValueError, match="has 1 values for 2 labels"):
        line_chart(title="t", labels=["a", "b"], series=[Series("s", [1])])
    with pytest.raises(ValueError, match="1 values for 2 labels"):
        bar_chart(title="t", labels=["a", "b"], values=[1])


@pytest.mark.parametrize("horizontal", [False, True])
def test_a_bar_chart_has_one_bar_per_label_with_its_value(horizontal: bool) -> None:
    root = _parse(
        bar_chart(
            title="Funnel", labels=["Aware", "Customer"], values=[30, 3], horizontal=horizontal
        )
    )
    bars = root.findall(f"{SVG}rect")
    assert [(b.get("data-label"), b.get("data-value")) for b in bars] == [
        ("Aware", "30"),
        ("Customer", "3"),
    ]
    size = "width" if horizontal else "height"
    assert float(bars[0].get(size) or 0) == pytest.approx(10 * float(bars[1].get(size) or 0))
    assert "Aware: 30; Customer: 3" in (root.find(f"{SVG}desc").text or "")


def test_stacked_bars_stack_each_label_and_skip_zeroes() -> None:
    root = _parse(
        stacked_bar_chart(
            title="Signals",
            labels=["d1", "d2"],
            series=[Series("website", [5, 0]), Series("g2", [5, 10])],
        )
    )
    groups = root.findall(f"{SVG}g")
    assert [g.get("data-series") for g in groups] == ["website", "g2"]
    assert len(groups[0].findall(f"{SVG}rect")) == 1  # d2 has no website bar
    website_d1 = groups[0].findall(f"{SVG}rect")[0]
    g2_d1 = groups[1].findall(f"{SVG}rect")[0]
    # g2 sits on top of website on d1: its bottom edge is website's top edge.
    assert float(g2_d1.get("y") or 0) + float(g2_d1.get("height") or 0) == pytest.approx(
        float(website_d1.get("y") or 0), abs=0.2
    )


def test_legend_lists_series_in_chart_colours() -> None:
    markup = legend(["Overall", "G2 & co"])
    assert "G2 &amp; co" in markup
    assert markup.count("<li>") == 2
