"""``--plot``: one bar chart per section, log scale, the same run's figures."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

__all__ = ["plot"]


def _value(result: Any) -> tuple[float, str]:
    if result.section.startswith("client-") and "cpu_us_per_item" in result.extra:
        return result.extra["cpu_us_per_item"], "CPU us per item (lower is better)"
    if result.bytes:
        return result.mb_per_s, "MB/s (higher is better)"
    return result.items_per_s, "items/s (higher is better)"


def plot(results: list[Any], path: str) -> None:
    """Write the bar charts to ``path`` (PNG). Raises ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sections: dict[str, list[Any]] = defaultdict(list)
    for result in results:
        if result.section.startswith(("sse", "eventstream", "client-")) and (
            result.section not in ("client-concurrent", "client-load")
        ):
            sections[result.section].append(result)
    if not sections:
        raise ValueError("nothing to plot")
    figure, axes = plt.subplots(len(sections), 1, figsize=(11, 3.2 * len(sections)),
                                squeeze=False)
    for axis, (section, rows) in zip(axes[:, 0], sections.items(), strict=True):
        labels = [f"{r.name} ({r.pieces})" if r.pieces != "-" else r.name for r in rows]
        values = [_value(r)[0] for r in rows]
        colours = ["#2b6cb0" if r.name.startswith("literllm") else "#a0aec0" for r in rows]
        axis.barh(labels, values, color=colours)
        axis.set_xscale("log")
        axis.set_title(section)
        axis.set_xlabel(_value(rows[0])[1])
        axis.invert_yaxis()
        for y, value in enumerate(values):
            axis.text(value, y, f" {value:,.3g}", va="center", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
