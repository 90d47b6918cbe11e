from datetime import date
from pathlib import Path

import pytest

from bascule.planning.problem import Weights
from bascule.replan.scenario import ScenarioError, load_scenario, one_site


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_sites_at_half_capacity_for_ten_days(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
start: 2026-12-07
horizon: 14
disruptions:
  - {site: rennes, from: 2026-12-07, days: 10, capacity: 0.5, paper_extra_minutes: 15}
  - {site: saint-nazaire, days: 10, capacity: 0.5, closed_theatres: [saint-nazaire-salle-01]}
frozen: [C0000042]
weights: {breach: 500}
""",
    )
    scenario = load_scenario(path)
    assert scenario.horizon == 14
    rennes, nazaire = scenario.disruptions
    assert rennes.last_day == date(2026, 12, 16)
    assert rennes.paper_extra_minutes == 15
    assert nazaire.first_day == date(2026, 12, 7)
    assert nazaire.closed_theatres == ("saint-nazaire-salle-01",)
    assert scenario.frozen == {"C0000042"}
    assert scenario.weights == Weights(breach=500)
    assert scenario.to_json()["disruptions"][1]["site"] == "saint-nazaire"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list", "expected a mapping at the top level"),
        ("start: 7 décembre", "start must be a date"),
        ("start: 2026-12-07\ndisruptions: rennes", "disruptions must be a list"),
        ("start: 2026-12-07\ndisruptions: [{days: 2}]", "disruptions[0].site is missing"),
        ("start: 2026-12-07\ndisruptions: [{site: rennes, capacity: 2}]", "capacity 2.0 is not"),
        ("start: 2026-12-07\ndisruptions: [{site: rennes, days: 0}]", "days must be at least 1"),
        ("start: 2026-12-07\nweights: {distance: 3}", "weights: unknown distance"),
        ("start: 2026-12-07\nhorizon: -3", "horizon must be a whole number"),
        ("start: [2026", "not valid YAML"),
    ],
)
def test_malformed_scenario_names_the_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")


def test_horizon_shorter_than_the_disruption_is_refused() -> None:
    with pytest.raises(ScenarioError, match="shorter than the disruption"):
        one_site("rennes", 0.5, date(2026, 12, 7), 10, horizon=5)
