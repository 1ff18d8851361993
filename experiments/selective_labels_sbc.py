"""Simulation-based calibration of the selective-labels model (numpyro NUTS) at N = 400 and 2,000.

Companion of ``domain_constraints`` (issue: 90% intervals of beta_Y covered the truth in only 44-72%
of components at N = 400). (a), (b) SBC rank histograms (Talts et al. 2018) of the unconstrained model
at the two sizes: with the parameter drawn from the model's own prior, ranks are uniform iff the
sampler draws from the posterior; (c) 90% interval coverage per parameter, SBC vs datasets from the
authors' generator (one fixed parameter per dataset), for the raw coefficients and for the attenuated
coefficients beta_Y / sqrt(1 + pi sigma^2 / 8) that binary outcomes identify; (d) the identified set:
posterior draws of (beta_Y[0], sigma) for one generator dataset lie along the curve of constant
attenuated intercept.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

import unlearnlab.selective_labels as sl
from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import binomial_acceptance_band
from unlearnlab.lab.sweep import run_seeds

NAME = "selective_labels_sbc"


@dataclass(frozen=True)
class Config:
    sizes: tuple = (400, 2000)
    n_sbc: tuple = (60, 20)  # SBC replicates per size
    n_gen: int = 8  # generator datasets per size
    M: int = 5
    alpha: float = 1.0
    n_nodes: int = 24
    num_warmup: int = 300
    num_samples: int = 396
    thin: int = 4  # L = 99 kept draws: ranks in {0..99}, 10 equiprobable bins
    n_bins: int = 10
    level: float = 0.9
    delta: float = 1e-3  # family-wise false-failure rate of the SBC checks
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        return Config(
            sizes=(100,),
            n_sbc=(3,),
            n_gen=0,  # the generator arm is a second NUTS program: skipped to keep --quick short
            num_warmup=30,
            num_samples=36,
            thin=4,  # L = 9: 10 bins of one rank each
        )
    return Config()


def _replicate(config: Config, N: int, generator: bool):
    def one(key):
        params = None
        if generator:
            kp, key = jax.random.split(key)
            p = sl.draw_synthetic_params(kp, config.M, alpha=config.alpha)
            params = {"beta_Y": p["beta_Y"], "beta_D": p["beta_D"], "sigma": p["sigma"]}
        out = sl.sbc_replicate(
            key,
            N,
            config.M,
            params=params,
            known_alpha=config.alpha,
            n_nodes=config.n_nodes,
            num_warmup=config.num_warmup,
            num_samples=config.num_samples,
            thin=config.thin,
        )
        if not generator:
            out.pop("draws")  # only the generator arm's draws are plotted
        return out

    return one


# _BLOCK_NOTE: replicates run one chain per vmap block. NUTS builds trees of varying depth, and a
# vmapped while-loop runs every member for as many leapfrog steps as the longest tree in the block;
# the likelihood over N people is already vectorised, so batching chains gains little. Measured at
# the default NUTS sizes (4 replicates, N = 400): 59.5 CPU s with blocks of 4, 35.8 with blocks of
# 1; N = 2000 (2 replicates): 124.5 CPU s with blocks of 2, 93.7 with 1. On a GPU the opposite
# holds (benchmarks/gpu_check.py on an H200, N = 400): one chain 2.7 s, a block of 16 chains 0.35 s per
# chain, because a lone chain is bound by kernel launches. So the block width follows the backend.


def _nuts_blocks() -> dict:
    """``run_seeds`` block and chunk sizes for NUTS replicates on this backend (see _BLOCK_NOTE)."""
    if jax.default_backend() == "cpu":
        return {"block_size": 1, "chunk_size": 4}
    return {"block_size": 16, "chunk_size": 16}


def compute(config: Config, ctx) -> dict:
    names = sl.sbc_parameter_names(config.M)
    L = -(-config.num_samples // config.thin)
    key = jax.random.key(config.seed)
    sbc, gen = {}, {}
    for i, N in enumerate(config.sizes):
        k_sbc, k_gen = jax.random.split(jax.random.fold_in(key, N))
        sbc[N] = run_seeds(
            _replicate(config, N, False),
            k_sbc,
            config.n_sbc[i],
            **_nuts_blocks(),
            **ctx.sweep_kwargs(config, f"sbc{N}"),
        )
        if config.n_gen:
            gen[N] = run_seeds(
                _replicate(config, N, True),
                k_gen,
                config.n_gen,
                **_nuts_blocks(),
                **ctx.sweep_kwargs(config, f"gen{N}"),
            )
    n_checks = 2 * len(config.sizes) * len(names)  # chi-square and coverage, per size and parameter
    alpha_each = config.delta / n_checks  # Bonferroni
    data = {"names": list(names), "L": L, "sizes": list(config.sizes), "sbc": {}, "gen": {}}
    all_ok = True
    for i, N in enumerate(config.sizes):
        s = sl.sbc_summary(sbc[N]["ranks"], L, n_bins=config.n_bins, level=config.level)
        R = config.n_sbc[i]
        lo, hi = binomial_acceptance_band(R, float(s["level_exact"]), alpha_each)
        cov_ok = (s["coverage"] >= lo / R) & (s["coverage"] <= hi / R)
        chi_ok = s["p_value"] >= alpha_each
        all_ok &= bool(np.all(cov_ok) and np.all(chi_ok))
        data["sbc"][str(N)] = {
            "R": R,
            "hist": s["hist"],
            "chi2": s["chi2"],
            "p_value": s["p_value"],
            "coverage": s["coverage"],
            "coverage_band": [lo / R, hi / R],
            "level_exact": s["level_exact"],
            "divergences": sbc[N]["diverging"],
            "mean_steps": sbc[N]["mean_steps"],
            "tested": sbc[N]["tested"],
        }
        if not config.n_gen:
            continue
        g = gen[N]
        draws = g["draws"]  # (R, L, P)
        M = config.M
        bY, sig = draws[..., :M], draws[..., -1]
        att = np.asarray(sl.attenuated_coefficients(bY, sig))  # (R, L, M)
        att_true = np.asarray(sl.attenuated_coefficients(g["truth"][:, :M], g["truth"][:, -1]))
        att_ranks = (att < att_true[:, None, :]).sum(1)
        cut = int(np.ceil((1 - config.level) * L / 2))
        raw_cov = ((g["ranks"] >= cut) & (g["ranks"] <= L - cut)).mean(0)
        att_cov = ((att_ranks >= cut) & (att_ranks <= L - cut)).mean(0)
        data["gen"][str(N)] = {
            "R": config.n_gen,
            "coverage_raw": raw_cov,
            "coverage_attenuated": att_cov,
            # least-squares slope through 0 of posterior means on the truth (1 = unbiased)
            "mean_ratio_beta_Y": float(
                np.sum(g["post_mean"][:, :M] * g["truth"][:, :M]) / np.sum(g["truth"][:, :M] ** 2)
            ),
            "mean_ratio_sigma": float(np.median(g["post_mean"][:, -1] / g["truth"][:, -1])),
            "example_draws": draws[0][:, [0, draws.shape[-1] - 1]],  # (L, 2): beta_Y[0], sigma
            "example_truth": g["truth"][0][[0, draws.shape[-1] - 1]],
            "divergences": g["diverging"],
        }
    data["alpha_each"] = alpha_each
    data["claims"] = {
        f"{NAME}.sbc_uniform": claim_result(
            {
                str(N): {
                    "min_p": float(np.min(data["sbc"][str(N)]["p_value"])),
                    "coverage": [float(c) for c in data["sbc"][str(N)]["coverage"]],
                }
                for N in config.sizes
            },
            f"every chi-square p >= {alpha_each:.2g} and every coverage inside its binomial band",
            all_ok,
            f"SBC of the unconstrained model, {n_checks} checks at family-wise false-failure "
            f"rate {config.delta:g} (Bonferroni)",
        ),
    }
    if config.n_gen:
        data["claims"][f"{NAME}.identified_scale"] = claim_result(
            {
                str(N): {
                    "raw": float(np.mean(data["gen"][str(N)]["coverage_raw"][: config.M])),
                    "attenuated": float(np.mean(data["gen"][str(N)]["coverage_attenuated"])),
                }
                for N in config.sizes
            },
            f"nominal {config.level}",
            "reported",
            "mean 90% coverage over beta_Y components on the authors' generator: raw "
            "coefficients vs attenuated coefficients beta_Y / sqrt(1 + pi sigma^2 / 8)",
        )
    return data


def plot(payload):

    from unlearnlab.lab.plotting import subplots

    d = payload["data"]
    names, L, sizes = d["names"], d["L"], d["sizes"]
    fig, axes = subplots(4, width=4.3, height=4.2)
    axes = axes[0]
    for ax in axes[len(sizes) : 2]:
        ax.set_visible(False)
    for ax, N in zip(axes[:2], sizes[:2]):
        s = d["sbc"][str(N)]
        hist = np.asarray(s["hist"])  # (B, P)
        B = hist.shape[0]
        R = s["R"]
        for j, name in enumerate(names):
            ax.plot(np.arange(B), hist[:, j], marker="o", lw=0.8, alpha=0.7, label=name)
        lo, hi = binomial_acceptance_band(R, 1.0 / B, 0.01)
        ax.axhline(R / B, color="k", ls="--", lw=1.2, label="uniform (SBC theorem)")
        ax.fill_between([-0.5, B - 0.5], lo, hi, color="0.85", label="99% binomial band per bin")
        ax.set_xlim(-0.5, B - 0.5)
        ax.set_xlabel(f"rank bin (L = {L} draws, {B} bins)")
        ax.set_ylabel(f"count over R = {R} replicates")
        ax.set_title(f"SBC ranks, N = {N} (min p = {min(s['p_value']):.2f})")
    axes[0].legend(fontsize=6, ncol=2)
    ax = axes[2]
    x = np.arange(len(names))
    M = len([n for n in names if n.startswith("beta_Y")])
    for k, N in enumerate(sizes):
        s = d["sbc"][str(N)]
        ax.plot(x + 0.1 * k, s["coverage"], "o", label=f"SBC, N = {N}")
        if str(N) not in d["gen"]:
            continue
        g = d["gen"][str(N)]
        ax.plot(x + 0.1 * k, g["coverage_raw"], "x", label=f"generator, raw, N = {N}")
        ax.plot(
            np.arange(M) + 0.1 * k,
            g["coverage_attenuated"],
            "s",
            mfc="none",
            label=f"generator, attenuated beta_Y, N = {N}",
        )
    s0 = d["sbc"][str(sizes[0])]
    ax.axhline(s0["level_exact"], color="k", ls="--", label="nominal level")
    ax.axhspan(*s0["coverage_band"], color="0.9")
    ax.set_xticks(x, names, rotation=60, fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("90% interval coverage")
    ax.set_title("coverage: SBC vs a fixed generator parameter")
    ax.legend(fontsize=6)
    ax = axes[3]
    if not d["gen"]:
        ax.text(0.5, 0.5, "generator arm not run\n(--quick)", ha="center", transform=ax.transAxes)
        return fig
    for N, color in zip(sizes, ("tab:blue", "tab:red")):
        g = d["gen"][str(N)]
        dr = np.asarray(g["example_draws"])
        t = np.asarray(g["example_truth"])
        ax.plot(dr[:, 1], dr[:, 0], ".", ms=3, alpha=0.5, color=color, label=f"posterior, N = {N}")
        sig = np.linspace(0.05, max(6.0, 1.2 * float(np.max(dr[:, 1]))), 200)
        a_true = t[0] / np.sqrt(1 + np.pi * t[1] ** 2 / 8)
        ax.plot(
            sig,
            a_true * np.sqrt(1 + np.pi * sig**2 / 8),
            "--",
            color=color,
            label=f"its truth's ridge, N = {N}\n(lab's derived approximation)",
        )
        ax.plot(t[1], t[0], "*", color=color, mec="k", ms=13, label=f"truth, N = {N}")
    ax.set_xlabel("sigma")
    ax.set_ylabel("beta_Y[0]")
    ax.set_title("identified set: first generator dataset of each size")
    ax.legend(fontsize=6)
    fig.suptitle(
        "Selective-labels model: simulation-based calibration (Talts et al. 2018) and "
        "the partially identified (beta_Y, sigma) ridge",
        fontsize=10,
    )
    return fig


def measured(saved: dict) -> dict[str, str]:
    """Markdown blocks of theory/selective_labels_sbc.md, rendered from the saved JSON."""
    from unlearnlab.lab.results import from_jsonable

    saved = from_jsonable(saved)  # tagged arrays -> NumPy (a no-op on restored payloads)
    d = saved["data"]
    lines = [
        "| N | SBC replicates | min chi-square p | SBC coverage (mean over parameters) | "
        "generator coverage, raw beta_Y | generator coverage, attenuated beta_Y | "
        "slope of posterior mean on truth (beta_Y); median ratio (sigma) |",
        "|---|---|---|---|---|---|---|",
    ]
    names = d["names"]
    M = len([n for n in names if n.startswith("beta_Y")])
    for N in d["sizes"]:
        s, g = d["sbc"][str(N)], d["gen"].get(str(N))
        if g is None:
            lines.append(
                f"| {N} | {s['R']} | {min(s['p_value']):.3f} | {np.mean(s['coverage']):.3f} | - | - | - |"
            )
            continue
        lines.append(
            f"| {N} | {s['R']} | {min(s['p_value']):.3f} | {np.mean(s['coverage']):.3f} | "
            f"{np.mean(np.asarray(g['coverage_raw'])[:M]):.3f} | "
            f"{np.mean(g['coverage_attenuated']):.3f} | "
            f"{g['mean_ratio_beta_Y']:.2f}, {g['mean_ratio_sigma']:.2f} |"
        )
    s0 = d["sbc"][str(d["sizes"][0])]
    lines.append("")
    lines.append(
        f"Exact nominal level of the rank-based interval: {s0['level_exact']:.3f} (L = {d['L']}); "
        f"per-check false-failure rate {d['alpha_each']:.2g}. Divergent transitions over all SBC "
        f"fits: {sum(int(np.sum(d['sbc'][str(N)]['divergences'])) for N in d['sizes'])}. "
        f"Run: {saved['manifest']['timings'].get('total_s', float('nan')):.0f} s wall."
    )
    return {"results": "\n".join(lines)}


def main(argv=None):
    return experiment_main(
        name=NAME,
        description=__doc__.splitlines()[0],
        make_config=make_config,
        compute=compute,
        plot=plot,
        argv=argv,
    )


if __name__ == "__main__":
    main()
