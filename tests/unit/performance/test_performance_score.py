import pytest

from performance.domain.kpi import AgencyCounts, percentile, rates, score_components
from performance.domain.score import DEFAULT_WEIGHTS, composite_score, validate_weights


def test_score_is_the_weighted_mean_of_components_times_100() -> None:
    components = {"on_time": 0.8, "ikm": 0.9, "returns": 1.0, "escalations": 0.5}
    score = composite_score(components, DEFAULT_WEIGHTS)
    assert score.value == pytest.approx(100 * (0.4 * 0.8 + 0.3 * 0.9 + 0.15 * 1.0 + 0.15 * 0.5))


def test_missing_components_are_left_out_and_weights_renormalised() -> None:
    score = composite_score(
        {"on_time": 0.5, "ikm": None, "returns": 1.0, "escalations": None}, DEFAULT_WEIGHTS
    )
    assert score.effective_weights == {
        "on_time": pytest.approx(0.4 / 0.55, abs=1e-4),
        "returns": pytest.approx(0.15 / 0.55, abs=1e-4),
    }
    assert score.value == pytest.approx(100 * (0.4 * 0.5 + 0.15 * 1.0) / 0.55, abs=0.01)


def test_nothing_measured_gives_no_score() -> None:
    assert composite_score(dict.fromkeys(DEFAULT_WEIGHTS), DEFAULT_WEIGHTS).value is None


def test_weights_must_name_known_components_and_not_all_be_zero() -> None:
    with pytest.raises(ValueError, match="unknown"):
        validate_weights({"speed": 1.0})
    with pytest.raises(ValueError, match="not all zero"):
        validate_weights({"on_time": 0.0})
    assert validate_weights({"on_time": 1.0}) == {
        "on_time": 1.0,
        "ikm": 0.0,
        "returns": 0.0,
        "escalations": 0.0,
    }


def test_rates_divide_by_completions_and_by_assignments_received() -> None:
    r = rates(
        AgencyCounts(received=10, completed=4, completed_on_time=3, rejected=1, returned=2, escalated=1)
    )
    assert (r.on_time_rate, r.return_rate, r.escalation_rate, r.rejection_rate) == (0.75, 0.2, 0.1, 0.1)
    assert score_components(r, 80.0) == {"on_time": 0.75, "ikm": 0.8, "returns": 0.8, "escalations": 0.9}


def test_rates_without_data_are_none() -> None:
    r = rates(AgencyCounts())
    assert r.on_time_rate is None and r.return_rate is None
    assert score_components(r, None) == dict.fromkeys(("on_time", "ikm", "returns", "escalations"))


def test_percentile_interpolates_like_postgres_percentile_cont() -> None:
    values = [0, 1, 2, 3, 10]
    assert percentile(values, 0.5) == 2
    assert percentile(values, 0.9) == pytest.approx(3 + 0.6 * 7)
    assert percentile([], 0.5) is None
