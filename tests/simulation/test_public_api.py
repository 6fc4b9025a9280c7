"""The public API of ``simulation`` is what ``__all__`` lists, and this test pins it.

Adding or removing a public name is a decision: change the list here with it.
"""

from __future__ import annotations

import inspect

import simulation

PUBLIC = {
    # scenarios, as files and as edited what-ifs
    "ScenarioFile",
    "load_scenario",
    "ScenarioWhatIf",
    # use cases and their results
    "simulate",
    "SimulationResult",
    "compare",
    "Comparison",
    "sweep",
    "SweepResult",
    "recommend_protection",
    "ProtectionRecommendation",
    # who gains and who loses between two runs
    "diff",
    "ResultDiff",
    "run_outcomes",
    "read_run_outcomes",
    # errors
    "SimulationError",
    "ScenarioError",
    "ConservationError",
}


def test_all_lists_exactly_the_public_names_once() -> None:
    assert len(simulation.__all__) == len(set(simulation.__all__))
    assert set(simulation.__all__) == PUBLIC


def test_every_public_name_is_importable_documented_and_from_the_package() -> None:
    for name in simulation.__all__:
        value = getattr(simulation, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"{name} has no docstring"
        assert getattr(value, "__module__", "simulation").startswith("simulation"), name


def test_every_result_reads_as_a_table_a_summary_a_chart_and_html() -> None:
    for name in ("SimulationResult", "Comparison", "SweepResult", "ProtectionRecommendation"):
        kind = getattr(simulation, name)
        for method in ("summary", "plot", "_repr_html_"):
            assert callable(getattr(kind, method, None)), (name, method)
    for name in ("SimulationResult", "Comparison", "SweepResult", "ProtectionRecommendation"):
        assert callable(getattr(getattr(simulation, name), "to_pandas", None)), name
