"""Claims checked by the rl family (FTPedel, ``theory/ftpedel.md``); measured in ``experiments/ftpedel.py``."""

from unlearnlab.lab.claims import Claim

_PAPER = "Wagenmaker & Pacchiano 2023, arXiv 2211.04974 (FTPedel); Pedel: arXiv 2207.02575"
_NOTE = "theory/ftpedel.md"
_EXP = "ftpedel"
_S = "tests/rl/test_statistical.py::"
_E = "tests/rl/test_exact.py::"
_I = "tests/rl/test_invariants.py::"

CLAIMS = (
    Claim(
        id="ftpedel.closed_forms",
        paper=_PAPER,
        where="theory note §3.4 (the lab's rare-context example; the paper's own example is unknown)",
        statement="On rare_context(0.01) with eps=1e-3 the certified N*_on brackets match 16/p (diff, "
        "online only), 4(1+p)/p^2 (abs, online only) and 4/(1-p) (both forms, N=1e6) "
        "within 1%.",
        kind="exact identity",
        provenance="derived",
        tests=(_E + "test_rare_context_closed_forms",),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="ftpedel.design_certificate",
        paper=_PAPER,
        where="theory note §6 (Frank-Wolfe with an averaged-dual certificate)",
        statement="solve_design returns lower <= f* <= upper; on 12 unit arms in d=4 (Kiefer-Wolfowitz "
        "optimum d) upper <= 1.01 d and upper - lower <= 0.1 upper after 2000 iterations.",
        kind="exact identity",
        provenance="derived",
        tests=(
            _E + "test_design_certificate_kiefer_wolfowitz",
            _E + "test_rare_context_design_gap_and_offline_only",
        ),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="ftpedel.monotone_offline",
        paper=_PAPER,
        where="theory note §3.1 (structure of C_h) and §8 (S6)",
        statement="N*_on is non-increasing in the offline covariance (certified brackets), and with the "
        "elimination path held fixed FTPedel's per-epoch budgets never grow with more "
        "offline data.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _I + "test_monotone_in_offline_data",
            _S + "test_offline_monotone_on_fixed_elimination_path",
        ),
        experiment=_EXP,
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="ftpedel.pac",
        paper=_PAPER,
        where="paper: FTPedel is (eps, delta)-PAC (Theorem 1, [recalled]); lab constants: note §5",
        statement="FTPedel (known-dynamics design, lab constants) returns an eps-optimal policy in at "
        "least a 1-delta binomial share of seeds; a c0/1e4 mutant fails the same check.",
        kind="bound w.p. >= 1-delta",
        provenance="recalled",
        tests=(
            _S + "test_pac_failure_rate",
            _S + "test_pac_power_check_mutant_fails",
        ),
        experiment=_EXP,
        panel="(c)",
        theory_note=_NOTE,
    ),
    Claim(
        id="ftpedel.lower_bound",
        paper=_PAPER,
        where="theory note §3.3 (H=1 transportation bound with offline data, [derived])",
        statement="The mean number of online episodes of FTPedel is at least the H=1 lower bound "
        "(diff form, eps-PAC, random-context version).",
        kind="bound w.p. >= 1-delta",
        provenance="derived",
        tests=(_S + "test_lower_bound_below_achieved",),
        experiment=_EXP,
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="ftpedel.upper_envelope",
        paper=_PAPER,
        where="theory note §5 (S4): the algorithm's own design budgets",
        statement="n_online <= sum_l sum_h T*_h(eps_l; {Delta <= 4 eps_l}) (1+eta)^2 + H L with "
        "eta=0.25 in at least a 1-delta binomial share of seeds (H=1).",
        kind="bound w.p. >= 1-delta",
        provenance="derived",
        tests=(
            _S + "test_samples_below_own_upper_envelope",
            _S + "test_samples_vs_o2o_complexity_online_only",
        ),
        experiment=_EXP,
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="ftpedel.offline_gain",
        paper=_PAPER,
        where="paper abstract: offline + online can beat either alone ([paper]); example: note §3.4",
        statement="On rare_context(0.01) enough offline data cuts the certified online complexity "
        "N*_on by orders of magnitude (16/p online only vs 4/(1-p) with N = 1e6, exact), offline "
        "data alone cannot certify (e_2 uncovered), and with every direction covered offline "
        "FTPedel uses no online episode; FTPedel's median online episodes against Pedel's are "
        "reported by the experiment.",
        kind="reproduction",
        provenance="paper",
        tests=(
            _S + "test_offline_alone_suffices_means_no_online_episode",
            _E + "test_rare_context_design_gap_and_offline_only",
            _E + "test_rare_context_closed_forms",
        ),
        experiment=_EXP,
        panel="(a)",
        theory_note=_NOTE,
    ),
)
