"""The recorded debt of the bad-input contract (issue 24), as a ratchet.

``MISSING_CASES``: public functions that have no contract case yet. ``KNOWN_FAILING``: functions
whose case exists and still has malformed calls without a named ``ValueError`` (or a failing valid
call). Both lists may only shrink: a new public name without a case fails the coverage test, an entry
here that gets a case (or starts passing: the contract test of a ``KNOWN_FAILING`` entry is
``xfail(strict=True)``) fails until it is removed from the list. Generated from a contract run;
``python -m tests.contract.test_contract`` prints the details of each failing call.
"""

MISSING_CASES = frozenset(
    {
        "unlearnlab.fewshot.bayes_oracle_accuracy",
        "unlearnlab.fewshot.dirichlet_init_params",
        "unlearnlab.fewshot.dirichlet_mle_mm",
        "unlearnlab.fewshot.dirichlet_nll",
        "unlearnlab.fewshot.gem_accuracy",
        "unlearnlab.fewshot.gem_e_step",
        "unlearnlab.fewshot.gem_init",
        "unlearnlab.fewshot.gem_layer",
        "unlearnlab.fewshot.gem_m_step",
        "unlearnlab.fewshot.gem_objective",
        "unlearnlab.fewshot.gem_pi_step",
        "unlearnlab.fewshot.gem_run",
        "unlearnlab.fewshot.gem_trace",
        "unlearnlab.fewshot.grid_search_gem",
        "unlearnlab.fewshot.multinomial_l1_error",
        "unlearnlab.fewshot.multinomial_l1_error_dirichlet",
        "unlearnlab.fewshot.noise_scales",
        "unlearnlab.fewshot.pool_by_class",
        "unlearnlab.fewshot.query_accuracy",
        "unlearnlab.fewshot.sample_task",
        "unlearnlab.fewshot.sample_task_from_pool",
        "unlearnlab.fewshot.softplus_inv",
        "unlearnlab.fewshot.train_unem",
        "unlearnlab.fewshot.train_unem_on_tasks",
        "unlearnlab.fewshot.unem_dirichlet_forward",
        "unlearnlab.fewshot.unem_forward",
        "unlearnlab.fewshot.unem_hyper",
        "unlearnlab.fewshot.unem_init_params",
        "unlearnlab.fewshot.unem_loss",
        "unlearnlab.fewshot.unem_trace",
    }
)

KNOWN_FAILING = frozenset(
    {
    }
)
