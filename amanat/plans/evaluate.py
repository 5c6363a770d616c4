"""Writes the background tasks make (and tests and commands call directly): the
periodic evaluation of indicators, and overdue measures put on a new meeting's agenda.

Apart from ``services`` so that ``tasks`` (which runs these) and ``services`` (which
enqueues the tasks) do not import each other, as in the atlas's ``recompute``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from amanat.accounts.access import AnyUser
from amanat.audit.services import audit_record
from amanat.councils import services as councils
from amanat.councils.models import Meeting
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.geo.paths import under
from amanat.lib.jalali import format_jalali
from amanat.plans import indicators
from amanat.plans.models import Alert, AlertStatus, Indicator, Measure, MeasureAgendaItem

SYSTEM = "system:plans"


def measures_to_agenda(*, meeting: Meeting, actor: AnyUser | None,
                       today: datetime.date | None = None) -> list[MeasureAgendaItem]:
    """Put every overdue measure of the council's area on the meeting's agenda (once),
    through the councils' own service; oldest due date first."""
    council = meeting.council
    day = today or meeting.held_on
    overdue = (Measure.objects.overdue(day).filter(under("unit_path", council.unit_path))
               .exclude(pk__in=MeasureAgendaItem.objects.filter(meeting=meeting)
                        .values("measure_id"))
               .select_related("unit", "owner").order_by("due_on", "pk"))
    added: list[MeasureAgendaItem] = []
    with transaction.atomic():
        for measure in overdue:
            item = councils.agenda_item_add(
                meeting=meeting, actor=actor,
                title=f"{measure.title} · {measure.unit.name}"[:300],
                note=f"{measure.owner.name} · {format_jalali(measure.due_on)}",
            )
            added.append(MeasureAgendaItem.objects.create(measure=measure, agenda_item=item,
                                                          meeting=meeting))
    return added


@dataclass
class Evaluation:
    fired: list[Alert]
    cleared: list[Alert]


def indicators_evaluate(*, election: Election, now: datetime.datetime | None = None,
                        actor: AnyUser | None = None) -> Evaluation:
    """Evaluate every active indicator for every county it applies to (the periodic task):
    a value at or above the threshold opens one alert per indicator and county, a value
    back under it clears the alert.  Each change is audited."""
    now = now or timezone.now()
    values = indicators.IndicatorValues(election=election, now=now)
    result = Evaluation(fired=[], cleared=[])
    active = list(Indicator.objects.filter(scenario__active=True)
                  .select_related("scenario", "category"))
    counties = indicators.county_paths()
    with transaction.atomic():
        live = {(a.indicator_id, a.unit_id): a for a in Alert.objects.exclude(
            status=AlertStatus.CLEARED).select_for_update()}
        for indicator in active:
            per_county = values.of(indicator)
            scope = indicator.scenario.unit_id
            for county_id, path in counties.items():
                if scope is not None and county_id != scope:
                    continue
                # The audit entries' unit: its id and path are all they keep (no query).
                county = AdminUnit(pk=county_id, path=path)
                value = per_county.get(county_id, 0.0)
                alert = live.get((indicator.pk, county_id))
                if value >= indicator.threshold and alert is None:
                    alert = Alert.objects.create(
                        indicator=indicator, unit_id=county_id, unit_path=path, value=value,
                        threshold=indicator.threshold, roles=indicator.scenario.alert_roles,
                        fired_at=now)
                    audit_record(action="plans.alert.fire", actor=actor, actor_name=SYSTEM,
                                 unit=county,
                                 obj=alert, object_type="plans.alert",
                                 extra={"indicator": indicator.kind, "value": value,
                                        "threshold": indicator.threshold,
                                        "scenario": indicator.scenario.code,
                                        "county": county_id})
                    result.fired.append(alert)
                elif value < indicator.threshold and alert is not None:
                    alert.status, alert.cleared_at = AlertStatus.CLEARED, now
                    alert.save(update_fields=["status", "cleared_at"])
                    audit_record(action="plans.alert.clear", actor=actor, actor_name=SYSTEM,
                                 unit=county,
                                 obj=alert, extra={"value": value})
                    result.cleared.append(alert)
    return result
