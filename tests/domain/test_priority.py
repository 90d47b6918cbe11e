from datetime import date

import pytest

from bascule.domain.priority import PriorityClass


@pytest.mark.parametrize(
    ("priority", "due"),
    [
        (PriorityClass.P1A, date(2026, 3, 2)),
        (PriorityClass.P1B, date(2026, 3, 4)),
        (PriorityClass.P2, date(2026, 3, 29)),
        (PriorityClass.P3, date(2026, 5, 31)),
    ],
)
def test_due_date_follows_the_class(priority: PriorityClass, due: date) -> None:
    assert priority.due_date(date(2026, 3, 1)) == due


def test_p4_has_no_deadline() -> None:
    assert PriorityClass.P4.due_date(date(2026, 3, 1)) is None


def test_rank_orders_from_most_urgent() -> None:
    ranked = sorted(PriorityClass, key=lambda p: p.rank)
    assert [p.value for p in ranked] == ["P1a", "P1b", "P2", "P3", "P4"]
