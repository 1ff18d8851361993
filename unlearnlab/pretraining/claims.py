"""Claims checked by the pretraining family (Ge, Tang, Fan, Jin, ICLR 2024, arXiv 2303.01566)."""

from unlearnlab.lab.claims import Claim

_PAPER = "Ge, Tang, Fan, Jin 2024 (arXiv 2303.01566)"
_NOTE = "theory/pretraining.md"
_F = "tests/pretraining/test_factor.py::"
_G = "tests/pretraining/test_gmm_contrastive.py::"

CLAIMS = (
    Claim("pretraining.ols_theory", _PAPER, "spec §2.3 (factor model, OLS on x)",
          "OLS on x has mean excess sigma_eff^2 d/(n_lab-d-1) (within 8%, n_lab in {200,400,800})",
          "derived proposition", "derived", (_F + "test_ols_matches_theory",), "pretraining", "(a)", _NOTE),
    Claim("pretraining.pretrain_theory", _PAPER, "spec §2.3 (ERM on the true posterior features)",
          "ERM on E[z|x] with the true B has mean excess sigma_eff^2 r/(n_lab-r-1); with n_unlab=1e4 "
          "within 15% for n_lab <= 400",
          "derived proposition", "derived", (_F + "test_pretrain_matches_theory",), "pretraining", "(a)",
          _NOTE),
    Claim("pretraining.ols_rate", _PAPER, "spec §2.4 (fast rate)",
          "log-log slope of OLS excess against n_lab-d-1 is -1 +- 0.1",
          "rate/slope", "derived", (_F + "test_rates",), "pretraining", "(a)", _NOTE),
    Claim("pretraining.pretrain_rate", _PAPER, "spec §2.4 (fast rate)",
          "slope of oracle-pretraining excess against n_lab in [-1.15, -0.85]",
          "rate/slope", "derived", (_F + "test_rates",), "pretraining", "(a)", _NOTE),
    Claim("pretraining.floor_slope", _PAPER, "spec §4 (unlabeled floor of order d/m)",
          "the paired floor excess(B_hat)-excess(B) at n_lab=2000 decays with slope in [-1.3,-0.7] in n_unlab",
          "rate/slope", "derived", (_F + "test_rates",), "pretraining", "(b)", _NOTE),
    Claim("pretraining.advantage", _PAPER, "abstract; Theorem 3.3 vs the supervised baseline",
          "for n_unlab >= 10 d, pretraining's mean excess <= 0.5 x OLS's and pretrain <= OLS in >= 95% of seeds",
          "bound w.p. >= 1-delta", "paper", (_F + "test_pretraining_advantage",), "pretraining", "(a)", _NOTE),
    Claim("pretraining.bound_sanity", _PAPER, "Theorem 3.3 (shape; constants unknown, set to 1)",
          "excess <= the paper-shaped sqrt bounds (C=1, delta=0.1) in >= 90% of seeds for n_lab >= 100",
          "bound w.p. >= 1-delta", "reconstruction", (_F + "test_bound_sanity",), "pretraining", "(a)",
          _NOTE),
    Claim("pretraining.invariance", _PAPER, "Assumption 3.2 (Psi invariant under the group T_Phi)",
          "predictions unchanged under B_hat -> B_hat R (O(r)) and under permutations of the GMM clusters",
          "invariant", "reconstruction",
          (_F + "test_transformation_invariance", _G + "test_gmm_permutation_invariance"),
          "pretraining", "(a)", _NOTE),
    Claim("pretraining.gmm_advantage", _PAPER, "Theorem 5.3 (GMM instance) [reviews]",
          "EM pretraining + cluster-label ERM is within 0.02 of Bayes in >= 90% of seeds at n_lab=40 and beats "
          "logistic regression on x",
          "documented behaviour", "reconstruction", (_G + "test_gmm_pretraining",), "pretraining", "(c)",
          _NOTE),
    Claim("pretraining.contrastive", _PAPER, "contrastive instance [reviews]",
          "the contrastive MLE's subspace error decreases with n_unlab; ERM on f* has excess "
          "sigma^2 r/(n-r-1)",
          "documented behaviour", "reconstruction",
          (_G + "test_contrastive_mle_subspace_decreases",
           _G + "test_contrastive_downstream_true_features_matches_theory"),
          "pretraining", "(d)", _NOTE),
)
