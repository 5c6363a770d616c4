"""Issue 14's open findings of the user review (docs/reviews/2026-12-user-candidates-people.md):
F7 a re-run keeps the people already assigned; the approval's SMS tells only those whose
post changed; F6/F18 the people import maps or ignores a county sheet's extra columns,
finds the home place by name and skips a total row."""

from __future__ import annotations

import importlib
import io
from typing import Any

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanat.accounts.demo import DEMO_USERS
from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.core import notify
from amanat.core.models import OutboundMessage
from amanat.elections.posts import StationPost
from amanat.lib.geodesy import distance_km
from amanat.site.management.commands import load_demo
from amanat.staffing.models import Assignment, Person, PostNotice, Roster, Source
from amanat.staffing.tests.conftest import World, full_staff, nid
from conftest import make_unit

pytestmark = pytest.mark.django_db


def _client(client: Any, user: Any, language: str = "en") -> Any:
    sign_in(client, user)
    return in_language(client, language)


def _rows() -> set[tuple[int, int, str, int, int, str]]:
    """Every assignment as (pk, station, post, slot, person, letter code)."""
    return set(Assignment.objects.values_list("pk", "station_id", "post", "slot",
                                              "person_id", "verification_code"))


def _run(c: Any, county: Any, capture: Any, **data: str) -> Roster:
    with capture(execute=True):
        c.post(reverse("staffing:county_assign", args=[county.pk]), data)
    return Roster.objects.get(county=county)


def _approve(c: Any, county: Any, capture: Any, *, reopen: bool = False) -> None:
    with capture(execute=True):
        answer = c.post(reverse("staffing:county_approve", args=[county.pk]),
                        {"reopen": "1"} if reopen else {}, follow=True)
    assert answer.status_code == 200
    expected = "reopened" if reopen else "approved and locked"
    assert expected in answer.content.decode(), answer.content.decode()


def _swapped_members(world: World) -> tuple[list[Person], list[Person]]:
    """Both stations' staff, placed as a run might have left them before the register
    changed: every post filled, the single posts at their optimum, but the city's members
    at the rural station and the rural district's at the city's (a poor assignment)."""
    g = world.geo
    city = full_staff(world, home=g.gharchak_city)
    rural = full_staff(world, home=g.qaleh_now)
    for station, people, inspector in ((world.city_station, city, rural[2]),
                                       (world.rural_station, rural, city[2])):
        other = rural if people is city else city
        rows = [(StationPost.REPRESENTATIVE, 1, people[0]), (StationPost.POLICE, 1, people[1]),
                (StationPost.INSPECTOR, 1, inspector)]
        rows += [(StationPost.MEMBER, i + 1, p) for i, p in enumerate(other[3:])]
        for post, slot, person in rows:
            Assignment.objects.create(
                election=world.election, station=station, county=g.gharchak,
                unit_path=station.unit_path, post=post, slot=slot, person=person,
                pinned=False, source=Source.SOLVER)
    return city, rural


# --- F7: a re-run fills the empty posts only ------------------------------------------------


def test_rerun_after_reopening_fills_the_empty_post_and_moves_no_one(
        world: World, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The review's steps: an approved roster reopened, one post cleared, one pinned by
    hand, the county's button pressed: the cleared post is filled and every other person
    keeps their post and their letter's code."""
    g = world.geo
    full_staff(world, home=g.gharchak_city)
    full_staff(world, home=g.qaleh_now)
    spare = world.person(posts=(StationPost.MEMBER,), home=g.gharchak_city)
    c = _client(client, world.personas.gharchak_governor)
    capture = django_capture_on_commit_callbacks
    assert _run(c, g.gharchak, capture).run_filled == 16
    _approve(c, g.gharchak, capture)
    _approve(c, g.gharchak, capture, reopen=True)
    before = _rows()
    # Station 2's representative taken off; station 1's member 1 given to the spare.
    cleared = Assignment.objects.get(station=world.rural_station,
                                     post=StationPost.REPRESENTATIVE)
    c.post(reverse("staffing:station_assign", args=[world.rural_station.pk]),
           {"clear": str(cleared.pk)})
    pinned_out = Assignment.objects.get(station=world.city_station, post=StationPost.MEMBER,
                                        slot=1)
    c.post(reverse("staffing:station_assign", args=[world.city_station.pk]),
           {"slot": "member:1", "national_id": spare.national_id})
    assert Assignment.objects.get(station=world.city_station, post=StationPost.MEMBER,
                                  slot=1).person == spare
    kept = before - {r for r in before if r[0] in (cleared.pk, pinned_out.pk)}
    assert len(kept) == 14

    page = c.get(reverse("staffing:county", args=[g.gharchak.pk])).content.decode()
    # The default is the empty posts; the full re-run is offered with its warning.
    assert 'value="fill" class="form-check-input" id="id_mode_0" checked' in page
    assert "again (full re-optimisation)" in page and 'id="id_mode_helptext"' in page
    roster = _run(c, g.gharchak, capture)
    assert roster.run_filled == 1 and roster.run_unfilled == []
    after = _rows()
    assert kept <= after  # nobody else moved; their letters' codes still verify
    assert Assignment.objects.get(station=world.rural_station,
                                  post=StationPost.REPRESENTATIVE).person_id == cleared.person_id
    assert Assignment.objects.count() == 16


def test_command_fills_the_empty_posts_only_unless_asked_to_replace(
        world: World, capsys: Any) -> None:
    """``staff-assign`` keeps a poor assignment as it is (people hold letters); with
    ``--replace`` (and its warning) it re-optimises to the hand-computed optimum: each
    station's own people, the inspectors swapped, the distance only the inspectors'."""
    g = world.geo
    city, rural = _swapped_members(world)
    Assignment.objects.filter(station=world.rural_station, post=StationPost.MEMBER,
                              slot=5).delete()
    before = _rows()
    with translation.override("en"):
        call_command("staff_assign", county=g.gharchak.code)
    roster = Roster.objects.get(county=g.gharchak)
    assert roster.run_filled == 1  # the empty post, with the one person free
    assert "re-optimisation" not in capsys.readouterr().err
    assert before <= _rows()
    assert Assignment.objects.get(station=world.rural_station, post=StationPost.MEMBER,
                                  slot=5).person == city[7]

    with translation.override("en"):
        call_command("staff_assign", county=g.gharchak.code, replace=True)
    assert "re-optimisation" in capsys.readouterr().err  # the warning
    roster = Roster.objects.get(county=g.gharchak)
    assert roster.run_filled == 16 and roster.run_unfilled == []
    assert roster.run_status == "OPTIMAL"
    expected = 2 * distance_km(35.43, 51.57, 35.38, 51.55)
    assert abs(roster.run_total_km - expected) < 0.2
    city_ids, rural_ids = {p.pk for p in city}, {p.pk for p in rural}
    for a in Assignment.objects.all():
        home = city_ids if a.station == world.city_station else rural_ids
        if a.post == StationPost.INSPECTOR:
            assert a.person_id not in home
        else:
            assert a.person_id in home
    # The representatives and police officers were at their optimum: same row, same code.
    singles = {r for r in before if r[2] in (StationPost.REPRESENTATIVE, StationPost.POLICE,
                                             StationPost.INSPECTOR)}
    assert singles <= _rows()


def test_full_reoptimisation_from_the_page_is_an_explicit_choice(
        world: World, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    g = world.geo
    _swapped_members(world)
    c = _client(client, world.personas.gharchak_governor)
    capture = django_capture_on_commit_callbacks
    before = _rows()
    assert _run(c, g.gharchak, capture, mode="fill").run_filled == 0
    assert _run(c, g.gharchak, capture).run_filled == 0  # nothing chosen: the empty posts
    assert _rows() == before
    assert _run(c, g.gharchak, capture, mode="replace").run_filled == 16
    assert _rows() != before

    runs = list(Event.objects.filter(action="staffing.roster.assign_queued")
                .order_by("pk").values_list("extra", flat=True))
    assert [r["replace"] for r in runs] == [False, False, True]


# --- F7: the approval's SMS -------------------------------------------------------------------


def test_approval_sms_tells_only_the_moved_and_the_taken_off(
        world: World, client: Any, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    g = world.geo
    city, rural = _swapped_members(world)
    for i, person in enumerate([*city, *rural]):
        Person.objects.filter(pk=person.pk).update(mobile=f"0912000{i:04d}")
    c = _client(client, world.personas.gharchak_governor)
    capture = django_capture_on_commit_callbacks
    _approve(c, g.gharchak, capture)
    assert len(notify.outbox) == 16
    notify.outbox.clear()

    _approve(c, g.gharchak, capture, reopen=True)
    # One representative taken off and no longer available; the rest re-optimised.
    gone = Assignment.objects.get(station=world.rural_station, post=StationPost.REPRESENTATIVE)
    Person.objects.filter(pk=gone.person_id).update(available=False)
    c.post(reverse("staffing:station_assign", args=[world.rural_station.pk]),
           {"clear": str(gone.pk)})
    _run(c, g.gharchak, capture, mode="replace")
    moved = {a.person_id for a in Assignment.objects.filter(post=StationPost.MEMBER)}
    assert len(moved) == 10
    _approve(c, g.gharchak, capture)
    by_mobile = {m.to: m.text for m in notify.outbox}
    mobiles = dict(Person.objects.values_list("pk", "mobile"))
    # The members moved to their own station are told their new post; the taken-off
    # representative that the post is no longer theirs; no one else hears again.
    assert set(by_mobile) == {mobiles[pk] for pk in moved} | {mobiles[gone.person_id]}
    assert len(notify.outbox) == 11
    for pk in moved:
        text = by_mobile[mobiles[pk]]
        assert "تغییر" in text and "عضو شعبه" in text, text
    assert "دیگر" in by_mobile[mobiles[gone.person_id]]

    # Reopened and approved again with nothing changed: nobody is told anything.
    notify.outbox.clear()
    _approve(c, g.gharchak, capture, reopen=True)
    _approve(c, g.gharchak, capture)
    assert notify.outbox == []


# --- F6 + F18: a real county sheet ----------------------------------------------------------


def _sheet(rows: list[list[Any]], *, footer: bool = True) -> bytes:
    """A county register as offices keep it: a merged title row, an empty row, a «ردیف»
    column, Persian headers with «نام پدر», «تاریخ تولد» and the home place by name, a
    «جمع» footer row."""


    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["فهرست عوامل اجرایی شهرستان قرچک"])
    sheet.merge_cells("A1:H1")
    sheet.append([])
    sheet.append(["ردیف", "کد ملی", "نام", "نام خانوادگی", "نام پدر", "تاریخ تولد",
                  "محل سکونت", "سمت‌ها"])
    for i, row in enumerate(rows, start=1):
        sheet.append([i, *row])
    if footer:
        sheet.append([None, None, None, None, None, None, None,
                      f"جمع: {'۰۱۲۳۴۵۶۷۸۹'[len(rows)]} نفر"])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _people_rows() -> list[list[Any]]:

    return [[nid(701), "علی", "رضایی", "حسن", "۱۳۶۵/۰۲/۱۱", "قرچک", "عضو شعبه"],
            [nid(702), "زهرا", "کریمی", "محمد", "۱۳۷۰/۰۵/۰۱", "قلعه نو", "بازرس"],
            [nid(703), "رضا", "احمدی", "حسین", "۱۳۶۸/۱۱/۲۰", "شهر قرچک", "پلیس"]]


class _Upload:
    def __init__(self, data: bytes, name: str = "people.xlsx") -> None:

        self.stream = io.BytesIO(data)
        self.stream.name = name  # type: ignore[attr-defined]


def test_real_county_sheet_is_mapped_then_imported_with_places_by_name(
        world: World, client: Any) -> None:
    """F6: the sheet's extra columns are asked about (map or ignore: the station import's
    step), nothing stored meanwhile; ignored, the people are stored with their home place
    found by name; the «جمع» footer is skipped with a warning (F18)."""
    g = world.geo
    c = _client(client, world.personas.gharchak_governor, "fa")
    url = reverse("staffing:people_import", args=[g.gharchak.pk])
    page = c.post(url, {"file": _Upload(_sheet(_people_rows())).stream})
    body = page.content.decode()
    assert 'data-testid="mapping-form"' in body
    form = page.context["mapping_form"]
    assert [u.header for u in form.unknown] == ["نام پدر", "تاریخ تولد"]
    assert not Person.objects.exists()
    import_id = form.initial["import_id"]
    # Another county's governor cannot use the waiting file.

    other = _client(Client(), world.personas.kerman_governor)
    assert other.post(url, {"step": "map", "import_id": import_id, "column_0": "ignore",
                            "column_1": "ignore"}).status_code == 404
    # Mapping nothing is refused with the field's message; still nothing stored.
    again = c.post(url, {"step": "map", "import_id": import_id})
    assert again.context["mapping_form"].errors and not Person.objects.exists()
    done = c.post(url, {"step": "map", "import_id": import_id, "column_0": "ignore",
                        "column_1": "ignore"}, follow=True)
    body = done.content.decode()
    assert done.redirect_chain, body
    people = {p.national_id: p for p in Person.objects.select_related("home_unit")}
    assert len(people) == 3

    assert people[nid(701)].home_unit == g.gharchak_city
    assert people[nid(702)].home_unit == g.qaleh_now  # «قلعه نو» without the ZWNJ
    assert people[nid(703)].home_unit == g.gharchak_city  # «شهر قرچک»
    assert "جمع" in body and "ردیف ۷" in body  # the footer's warning, in Persian


def test_place_names_unknown_or_ambiguous_refuse_the_row(world: World, client: Any) -> None:

    g = world.geo
    second = make_unit("district", "231002", "بخش دوم", g.gharchak)
    make_unit("village", "2310020101", "خاتون‌آباد", second)
    make_unit("village", "2310010101", "خاتون‌آباد", g.qaleh_now)
    rows = _people_rows()
    rows[0][5] = "خاتون آباد"
    rows[1][5] = "ناکجاآباد"
    c = _client(client, world.personas.gharchak_governor, "fa")
    url = reverse("staffing:people_import", args=[g.gharchak.pk])
    page = c.post(url, {"file": _Upload(_sheet(rows)).stream})
    import_id = page.context["mapping_form"].initial["import_id"]
    page = c.post(url, {"step": "map", "import_id": import_id, "column_0": "ignore",
                        "column_1": "ignore"})
    body = page.content.decode()
    assert 'data-testid="import-rejected"' in body
    errors = {e.row: e for e in page.context["report"].errors}
    assert set(errors) == {4, 5}
    assert errors[4].code == "home_ambiguous" and errors[4].column == "محل سکونت"
    assert "چند" in errors[4].message and "2310020101" in errors[4].message.translate(
        str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    assert errors[5].code == "home_unknown" and "ناکجاآباد" in errors[5].message
    assert not Person.objects.exists()


def test_command_maps_or_ignores_columns_and_speaks_one_language(
        world: World, tmp_path: Any, capsys: Any) -> None:
    """F18: the command's lines are in the site's language, frame and message alike; the
    unknown columns are left out with --ignore (or read with --map) and the total row
    skipped with a warning; a refused file writes nothing."""
    path = tmp_path / "people.xlsx"
    rows = _people_rows()
    rows[2][6] = "رئیس شعبه"  # not a post
    path.write_bytes(_sheet(rows))
    persian = translation.override(django_settings.LANGUAGE_CODE)
    with pytest.raises(CommandError) as refused, persian:
        call_command("import_people", str(path), county="2310")
    err = capsys.readouterr().err
    # No English frame around the Persian messages («row 3, column …, value …: …»).
    for english in ("row ", "column «", "warning:", "rejected", "is not recognised"):
        assert english not in err and english not in str(refused.value), err
    assert "ستون «نام پدر»" in err and "--ignore 'نام پدر'" in err
    assert not Person.objects.exists()

    with translation.override(django_settings.LANGUAGE_CODE), pytest.raises(CommandError):
        call_command("import_people", str(path), county="2310", ignore=["نام پدر"],
                     map=["تاریخ تولد=ignore"])
    err = capsys.readouterr().err
    assert "ردیف ۶" in err and "سمت" in err and "row" not in err
    assert not Person.objects.exists()

    path.write_bytes(_sheet(_people_rows()))
    with translation.override(django_settings.LANGUAGE_CODE):
        call_command("import_people", str(path), county="2310", ignore=["نام پدر"],
                     map=["تاریخ تولد=ignore"])
    captured = capsys.readouterr()
    assert "جمع" in captured.err and "هشدار" in captured.err
    assert Person.objects.count() == 3


# --- F19: load-demo's closing list of sign-ins ------------------------------------------------


def test_load_demo_lists_every_demo_sign_in(monkeypatch: Any) -> None:
    """The command's closing list names each demo persona, demo.kerman.board among them
    (the review found it missing). The heavy steps are stubbed: the sign-ins are real,
    on the units their codes name."""


    iran = make_unit("country", "IR", "ایران")
    tehran = make_unit("province", "23", "تهران", iran)
    make_unit("county", "2321", "قرچک", tehran)
    make_unit("county", "0808", "کرمان", make_unit("province", "8", "کرمان", iran))
    class _Imported:  # geo_import's report, empty
        created: dict[str, int] = {}
        updated: dict[str, int] = {}
        unchanged: dict[str, int] = {}

    monkeypatch.setattr(load_demo, "geo_import", lambda *a, **k: _Imported())
    for name in ("seed_example_election", "seed_demo_stations",
                 "seed_demo_training", "seed_demo_candidates", "seed_demo_incidents",
                 "seed_demo_councils", "seed_demo_boards", "seed_demo_candidate_review",
                 "seed_demo_staffing", "seed_demo_atlas", "seed_demo_plans",
                 "seed_demo_operations"):
        monkeypatch.setattr(load_demo, name, lambda *a, **k: "")
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    listed = out.getvalue().split("Demo sign-ins", 1)[1]
    names = {line.split()[0] for line in listed.splitlines()[1:] if line.startswith("  ")}
    assert "demo.kerman.board" in names
    assert names == {d.username for d in DEMO_USERS}


def test_people_told_before_the_post_notices_are_not_told_again(
        world: World, client: Any, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    """The migration adding PostNotice reads the older outbox entries
    (``staffing.assigned:<election>:<assignment>:<person>``): a roster approved before it,
    reopened and approved again after it, tells nobody whose post is unchanged."""



    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    told, moved = world.person(), world.person()
    station = world.city_station
    rows = [Assignment.objects.create(
        election=world.election, station=station, county=world.geo.gharchak,
        unit_path=station.unit_path, post=StationPost.MEMBER, slot=slot, person=person)
        for slot, person in ((1, told), (2, moved))]
    for row in rows:
        OutboundMessage.objects.create(channel="sms", to=row.person.mobile, text="…",
                                       purpose=f"staffing.assigned:{world.election.pk}:"
                                               f"{row.pk}:{row.person_id}")
    # The second was told of a post it no longer holds (its row replaced since).
    rows[1].delete()
    Assignment.objects.create(
        election=world.election, station=station, county=world.geo.gharchak,
        unit_path=station.unit_path, post=StationPost.MEMBER, slot=3, person=moved)
    migration = importlib.import_module("amanat.staffing.migrations.0005_post_notice")
    migration.notices_from_outbox(apps, None)
    assert set(PostNotice.objects.values_list("person_id", flat=True)) == {told.pk}
    c = _client(client, world.personas.gharchak_governor)
    _approve(c, world.geo.gharchak, django_capture_on_commit_callbacks)
    assert len(notify.outbox) == 1  # only the one whose told row is gone
