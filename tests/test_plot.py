"""Sweep plots (policy.render.plot): what is drawn, read back from the figure."""

from __future__ import annotations

from pathlib import Path


def test_a_campaign_sweep_is_drawn_by_its_facts_a_panel_per_fact(monkeypatch) -> None:
    """Hundreds of outcomes made the line plot a legend over the axes (a new user's review):
    past LINE_OUTCOMES outcomes a game that states facts is drawn by them, one panel per fact,
    a line per value, each line the fact's probability at each point."""
    import numpy as np

    import policy.render.plot as plot_module
    from policy.analysis.sweep import fact_columns, grid_samples, parse_vary, run_sweep
    from policy.leaders import load_leader, resolve
    from policy.loading import load

    root = Path(__file__).resolve().parent.parent
    game = load(root / "games" / "ussr_1939_1941_stalin.toml")
    stalin = load_leader(root / "games" / "leaders" / "stalin.toml")
    vary = parse_vary("german_war_cost=0.15:0.45:5", game)
    samples = grid_samples(game, resolve(game, stalin), [vary])
    result = run_sweep(game, samples, method="spe", varied=("german_war_cost",), leader="stalin", jobs=1)
    figures = []
    monkeypatch.setattr(plot_module, "save", lambda fig, out, outputs=None: figures.append(fig) or Path(out))
    plot_module.plot_line(result, "x.svg")
    [fig] = figures
    pairs, _ = fact_columns(game)
    keys = list(dict.fromkeys(k for k, _ in pairs))
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == keys
    war = shown[keys.index("war_with_germany")]
    k = pairs.index(("war_with_germany", "1941"))
    [line] = [ln for ln in war.get_lines() if ln.get_label() == "1941"]
    order = np.argsort(result.samples["german_war_cost"], kind="stable")
    assert np.allclose(line.get_ydata(), np.asarray(result.facts)[order, k])
