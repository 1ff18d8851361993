"""One figure style for the lab; theory curves are dashed; figures saved as PNG + PDF.

Figures are drawn from saved results (the experiment JSON), never from live computation, so any
figure can be re-plotted without recomputing.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["STYLE", "THEORY_STYLE", "subplots", "theory_line", "panel_label", "save_figure"]

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "lines.linewidth": 1.6,
    "lines.markersize": 4,
    "axes.prop_cycle": matplotlib.cycler(
        color=["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
    ),
    "pdf.fonttype": 42,
}

#: theory curves: dashed, dark, drawn on top
THEORY_STYLE = {"linestyle": "--", "color": "0.15", "linewidth": 1.4, "zorder": 5}


def subplots(ncols: int = 1, nrows: int = 1, *, width: float = 3.6, height: float = 3.0, **kw):
    """``plt.subplots`` in the lab style, ``width``/``height`` per panel (inches).

    Applies :data:`STYLE` to matplotlib's rcParams (plotting is figure-making machinery, used only
    by experiment entry points). Returns ``(fig, axes)`` with ``axes`` always 2-D.
    """
    matplotlib.rcParams.update(STYLE)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(width * ncols, height * nrows),
        squeeze=False,
        layout="constrained",
        **kw,
    )
    return fig, axes


def theory_line(ax, x, y, label: str, **kw):
    """Draw a theoretical curve dashed, labelled with its theorem (e.g. ``"Thm 3.1 bound"``)."""
    # canonical names on both sides, so ``lw=`` overrides THEORY_STYLE's ``linewidth``
    from matplotlib.cbook import normalize_kwargs
    from matplotlib.lines import Line2D

    style = {**normalize_kwargs(THEORY_STYLE, Line2D), **normalize_kwargs(kw, Line2D)}
    return ax.plot(x, y, label=label, **style)


def panel_label(ax, text: str):
    """Put ``(a)``-style labels in the top left corner of a panel."""
    ax.set_title(text, loc="left", fontweight="bold")


def _figure_text(fig) -> dict:
    """Every text artist of ``fig``: suptitle, figure texts and legends, and per axes the titles,
    axis labels, legend entries (and title), texts and table cells, in drawing order.

    Saved beside the figure as ``<stem>.labels.json`` by :func:`save_figure`, so that what a figure
    says (e.g. whose theorem a dashed curve is) can be checked without reading the image.
    """

    def legend(leg):
        if leg is None:
            return []
        title = leg.get_title().get_text()
        return ([title] if title else []) + [x.get_text() for x in leg.get_texts()]

    sup = getattr(fig, "_suptitle", None)
    out = {
        "suptitle": sup.get_text() if sup is not None else "",
        "texts": [x.get_text() for x in fig.texts if x.get_text() and x is not sup],
        "legends": [legend(leg) for leg in getattr(fig, "legends", [])],
        "axes": [],
    }
    for ax in fig.axes:
        cells = []
        for tab in ax.tables:
            cells += [c.get_text().get_text() for _, c in sorted(tab.get_celld().items())]
        out["axes"].append(
            {
                "title": [ax.get_title(loc) for loc in ("left", "center", "right")],
                "xlabel": ax.get_xlabel(),
                "ylabel": ax.get_ylabel(),
                "legend": legend(ax.get_legend()),
                "texts": [x.get_text() for x in ax.texts if x.get_text()],
                "table": [c for c in cells if c],
            }
        )
    return out


def save_figure(fig, stem: str | os.PathLike, *, close: bool = True) -> tuple[Path, Path]:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.pdf`` (deterministic metadata); returns paths.

    Also writes ``<stem>.labels.json``: every text artist of the figure (titles, axis labels, legend
    entries, texts), so tests can check the figure's wording against the claims registry.
    """
    import json

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    with matplotlib.rc_context(STYLE):
        fig.savefig(png, metadata={"Software": None})
        fig.savefig(pdf, metadata={"Creator": None, "Producer": None, "CreationDate": None})
    labels = stem.with_name(stem.name + ".labels.json")
    labels.write_text(json.dumps(_figure_text(fig), indent=1, ensure_ascii=False) + "\n")
    if close:
        plt.close(fig)
    return png, pdf
