"""The rule: serious open cases ride on every new agenda of the council of their area
until they are closed."""

from __future__ import annotations

import datetime

import pytest

from amanat.audit.models import Event
from amanat.core.errors import RuleError
from amanat.councils import services
from amanat.councils.models import AgendaItem, Meeting
from amanat.councils.tests.conftest import DAY, World, resolve
from amanat.incidents import services as incidents
from amanat.incidents.models import Case

pytestmark = pytest.mark.django_db


def _meeting(world: World, council: object, days: int = 0) -> Meeting:
    return services.meeting_create(council=council,  # type: ignore[arg-type]
                                   held_on=DAY + datetime.timedelta(days=days),
                                   actor=world.personas.gharchak_governor)


def _cases_on(meeting: Meeting) -> list[str]:
    return list(meeting.agenda.order_by("order").values_list("case__number", flat=True))


def test_a_serious_case_stays_on_three_agendas_and_leaves_once_resolved(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city)
    assert case.is_serious
    meetings = [_meeting(world, world.gharchak, days) for days in (0, 7, 14)]
    for position, meeting in enumerate(meetings):
        item = meeting.agenda.get(case=case)
        assert item.automatic
        assert item.carried_over is (position > 0)
    assert [m.number for m in meetings] == [1, 2, 3]

    resolve(case, world.personas.gharchak_governor)
    fourth = _meeting(world, world.gharchak, 21)
    assert not fourth.agenda.filter(case=case).exists()
    assert AgendaItem.objects.filter(case=case).count() == 3


def test_a_dismissed_case_drops_off_too(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city, "ballot_tampering")
    _meeting(world, world.gharchak)
    incidents.case_dismiss(case=case, actor=world.personas.admin, outcome="بی‌اساس")
    assert not _meeting(world, world.gharchak, 7).agenda.exists()


def test_a_non_serious_case_never_appears(world: World) -> None:
    minor = world.open_case(world.geo.gharchak_city, "material_destruction")
    medium = world.open_case(world.geo.gharchak_city, "illegal_campaigning")
    assert not minor.is_serious and not medium.is_serious
    for days in (0, 7, 14):
        assert not _meeting(world, world.gharchak, days).agenda.exists()


def test_a_case_raised_to_serious_at_triage_joins_the_next_agenda(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city, "illegal_campaigning")
    assert not _meeting(world, world.gharchak).agenda.exists()
    incidents.case_triage(case=case, actor=world.personas.admin, severity=4)
    item = _meeting(world, world.gharchak, 7).agenda.get()
    assert item.case_id == case.pk and not item.carried_over


def test_cases_stay_in_their_council_area(world: World) -> None:
    kerman_case = world.open_case(world.geo.villages[0])
    gharchak_case = world.open_case(world.geo.gharchak_city)
    assert _cases_on(_meeting(world, world.gharchak)) == [gharchak_case.number]
    assert _cases_on(_meeting(world, world.kerman)) == [kerman_case.number]
    # The provincial council sees the whole province (Kerman county and Rafsanjan).
    rafsanjan_case = world.open_case(world.geo.rafsanjan)
    assert set(_cases_on(_meeting(world, world.kerman_province))) == {
        kerman_case.number, rafsanjan_case.number}
    for days in (7, 14):
        assert kerman_case.number not in _cases_on(_meeting(world, world.gharchak, days))


def test_agenda_order_is_severity_then_age(world: World) -> None:
    high_old = world.open_case(world.geo.gharchak_city, "vote_buying")
    critical = world.open_case(world.geo.gharchak_city, "ballot_tampering")
    high_new = world.open_case(world.geo.gharchak_city, "intimidation")
    meeting = _meeting(world, world.gharchak)
    assert _cases_on(meeting) == [critical.number, high_old.number, high_new.number]
    assert list(meeting.agenda.values_list("order", flat=True)) == [1, 2, 3]


def test_meeting_creation_is_audited_with_its_agenda(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city)
    _meeting(world, world.gharchak)
    meeting = _meeting(world, world.gharchak, 7)
    event = Event.objects.get(action="councils.meeting.create", object_id=str(meeting.pk))
    assert event.extra == {"agenda_cases": [case.number], "carried_over": [case.number]}
    assert event.actor_id == world.personas.gharchak_governor.pk
    assert event.unit_path == world.geo.gharchak.path


def test_manual_items_follow_the_rule_items(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city)
    minor = world.open_case(world.geo.gharchak_city, "other")
    meeting = _meeting(world, world.gharchak)
    item = services.agenda_item_add(meeting=meeting, case=minor, actor=world.personas.admin)
    topic = services.agenda_item_add(meeting=meeting, title="هماهنگی روز رأی‌گیری",
                                     actor=world.personas.admin)
    assert (item.order, topic.order) == (2, 3)
    assert _cases_on(meeting) == [case.number, minor.number, None]
    with pytest.raises(RuleError) as error:
        services.agenda_item_add(meeting=meeting, case=case, actor=world.personas.admin)
    assert "already" in error.value.render("en") and "پیش‌تر" in error.value.render("fa")
    kerman_case = world.open_case(world.geo.villages[0])
    with pytest.raises(RuleError) as outside:
        services.agenda_item_add(meeting=meeting, case=kerman_case, actor=world.personas.admin)
    assert "outside" in outside.value.render("en")
    assert meeting.agenda.count() == 3


def test_action_items_and_their_status(world: World) -> None:
    meeting = _meeting(world, world.gharchak)
    decision = services.decision_add(meeting=meeting, text="گشت‌زنی بیشتر",
                                     actor=world.personas.admin)
    police = world.personas.police.memberships.get().agency
    with pytest.raises(RuleError) as early:
        services.action_item_add(decision=decision, text="گشت", owner=police,
                                 due_on=DAY - datetime.timedelta(days=1),
                                 actor=world.personas.admin)
    assert early.value.code == "before_meeting"
    item = services.action_item_add(decision=decision, text="گشت شبانه", owner=police,
                                    due_on=DAY + datetime.timedelta(days=3),
                                    actor=world.personas.admin)
    assert item.is_overdue(DAY + datetime.timedelta(days=4))
    with pytest.raises(RuleError) as why:
        services.action_item_set_status(item=item, status="cancelled", actor=world.personas.admin)
    assert "cancelled" in why.value.render("en")
    item = services.action_item_set_status(item=item, status="done", note="انجام شد",
                                           actor=world.personas.police)
    assert (item.status, item.done_note, item.closed_by) == ("done", "انجام شد",
                                                              world.personas.police)
    assert not item.is_overdue(DAY + datetime.timedelta(days=4))
    assert Event.objects.filter(action="councils.action.done", object_id=str(item.pk)).exists()


def test_a_meeting_recorded_late_gets_no_case_opened_after_its_day(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city)
    Case.objects.filter(pk=case.pk).update(
        opened_at=datetime.datetime(2026, 2, 1, 20, 31, tzinfo=datetime.UTC))  # 2 Feb, Tehran
    assert not _meeting(world, world.gharchak).agenda.exists()  # held on 1 Feb
    assert _meeting(world, world.gharchak, 1).agenda.get().case_id == case.pk
