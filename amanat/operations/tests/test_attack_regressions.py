"""Regressions for docs/reviews/2026-12-attack-operations.md: each fails on main today and is
marked ``xfail(strict=True)`` so the suite stays green; remove the mark with the fix."""

from __future__ import annotations

import pytest

from amanat.core.errors import RuleError
from amanat.operations import quality, services, sms
from amanat.operations.models import StationDay
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code,clock,values", [
    ("I", "11:00", Values(incidents="VB", voters=19_999)),
    ("O", "07:05", Values(staff={"representative": 1}, voters=19_000, total=19_999)),
])
def test_a_figure_on_a_check_in_of_another_kind_is_not_published(
        day: Day, code: str, clock: str, values: Values) -> None:
    """F1: voters/total sent with an incident or opening check-in skip the turnout and
    closing rules and become the station's published figure."""
    window = services.window_for(day.election, code, at(clock))
    try:
        services.checkin_record(station=day.gharchak_station, window=window, values=values,
                                source="web", at=at(clock))
    except RuleError:
        return  # refused: fine
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert station_day.voters is None and station_day.total is None


def test_a_rule_whose_cost_grows_with_the_values_is_refused() -> None:
    """F3: cheap on the sample values (all 1), ~20 s (or gigabytes) per check-in on real
    ones."""
    for expression in ("max(2, voters) ** (4000000 * min(1, voters - 1)) > 0",
                       'f"{voters:>{voters*100000}}" == ""'):
        with pytest.raises(RuleError):
            quality.expression_check(expression)


def test_a_superscript_digit_in_an_sms_number_is_a_refusal_not_a_crash() -> None:
    """F9: '1²'.isdigit() is True but int('1²') raises ValueError (a 500 to Kannel)."""
    with pytest.raises(sms.Unreadable):
        sms._number("1²", "voters", sms.Parsed())
