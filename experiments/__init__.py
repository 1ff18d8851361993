"""Experiments: one module per figure, ``python -m experiments.<name>``.

``python -m experiments`` lists them; ``python -m experiments all`` runs every one at default size;
``python -m experiments report`` writes ``paper_figures/REPORT.md`` from the committed JSON.
"""
