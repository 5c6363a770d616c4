"""The staffing pages: scope, masking, the rules on manual assignment, import, the solver
button, approval and its lock, audit entries."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.elections.posts import StationPost
from amanat.lib.nationalid import with_check_digit
from amanat.staffing.models import Assignment, ConflictRule, Person, Roster
from amanat.staffing.tests.conftest import full_staff, nid
from amanat.stations.models import Station

pytestmark = pytest.mark.django_db


def _client(client: Any, user: Any) -> Any:
    sign_in(client, user)
    return in_language(client, "en")


def _assign(client: Any, station: Any, slot: str, person: Any) -> Any:
    return client.post(reverse("staffing:station_assign", args=[station.pk]),
                       {"slot": slot, "national_id": person.national_id}, follow=True)


def test_kerman_governor_sees_no_gharchak_person(world: Any, client: Any) -> None:
    gharchak = world.person()
    kerman = world.person(county=world.geo.kerman_county, home=world.geo.kerman_city)
    c = _client(client, world.personas.kerman_governor)
    assert c.get(reverse("staffing:person", args=[gharchak.pk])).status_code == 404
    assert c.get(reverse("staffing:person", args=[kerman.pk])).status_code == 200
    assert c.get(reverse("staffing:people", args=[world.geo.gharchak.pk])).status_code == 404
    assert c.post(reverse("staffing:people_export",
                          args=[world.geo.gharchak.pk])).status_code == 404
    assert c.get(reverse("staffing:county", args=[world.geo.gharchak.pk])).status_code == 404
    assert c.get(reverse("staffing:station", args=[world.city_station.pk])).status_code == 404
    page = c.get(reverse("staffing:counties"))
    assert page.status_code == 200
    assert world.geo.gharchak.name not in {r.county.name for r in page.context["rows"]}
    export = c.post(reverse("staffing:people_export", args=[world.geo.kerman_county.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert ids == {kerman.national_id}
    assert Event.objects.filter(action="staffing.people.export").count() == 1


def test_masking_per_role(world: Any, client: Any, django_user_model: Any) -> None:
    person = world.person()
    governor = _client(client, world.personas.gharchak_governor)
    page = governor.get(reverse("staffing:people", args=[world.geo.gharchak.pk]))
    # A list is read by GET, unrecorded: masked for the governor too.
    assert person.national_id not in page.content.decode()
    assert person.mobile not in page.content.decode()
    detail = governor.get(reverse("staffing:person", args=[person.pk]))
    assert detail.context["national_id"] != person.national_id  # a GET shows it masked
    assert not Event.objects.filter(action="staffing.person.read").exists()
    detail = governor.post(reverse("staffing:person", args=[person.pk]), {"reveal": "1"})
    assert detail.context["national_id"] == person.national_id
    assert detail.context["mobile"] == person.mobile
    assert Event.objects.filter(action="staffing.person.read", object_id=str(person.pk)).exists()
    client.logout()
    hq = _client(client, world.personas.tehran_officer)
    page = hq.get(reverse("staffing:people", args=[world.geo.gharchak.pk]))
    assert page.status_code == 200
    assert person.national_id not in page.content.decode()
    assert "******" + person.national_id[-4:] in page.context["rows"][0][1]
    detail = hq.post(reverse("staffing:person", args=[person.pk]), {"reveal": "1"})
    assert detail.context["national_id"] != person.national_id
    assert detail.context["mobile"] != person.mobile


def test_manual_assignment_refusals_name_the_rule(world: Any, client: Any) -> None:
    c = _client(client, world.personas.gharchak_governor)
    untrained = world.person(posts=(StationPost.MEMBER,), trained=False)
    response = _assign(c, world.city_station, "member:1", untrained)
    assert "has not completed the course" in response.content.decode()
    assert "گذراندن دوره آموزشی سمت" in response.content.decode()  # the rule's name (data)
    inspector = world.person(posts=(StationPost.INSPECTOR,), home=world.geo.gharchak_city)
    response = _assign(c, world.city_station, "inspector:1", inspector)
    assert "own neighbourhood" in response.content.decode()
    assert not Assignment.objects.exists()
    ok = world.person(posts=(StationPost.MEMBER,))
    response = _assign(c, world.city_station, "member:1", ok)
    assert Assignment.objects.filter(person=ok, station=world.city_station).exists()
    response = _assign(c, world.rural_station, "member:1", ok)
    assert "already holds a post" in response.content.decode()
    assert Assignment.objects.count() == 1
    assert Event.objects.filter(action="staffing.assignment.set").count() == 1
    # A rule switched off in the table is no longer checked.
    ConflictRule.objects.filter(code="inspector_home").update(active=False)
    _assign(c, world.city_station, "inspector:1", inspector)
    assert Assignment.objects.filter(person=inspector).exists()
    # One post per person is also the database's rule: switched off, it still refuses.
    ConflictRule.objects.filter(code="one_post").update(active=False)
    response = _assign(c, world.rural_station, "member:1", ok)
    assert "already holds a post in this election, or the post" in response.content.decode()
    assert Assignment.objects.filter(person=ok).count() == 1


def test_not_allowed_post_and_other_roles(world: Any, client: Any) -> None:
    c = _client(client, world.personas.gharchak_governor)
    member = world.person(posts=(StationPost.MEMBER,))
    response = _assign(c, world.city_station, "police:1", member)
    assert "is not among their posts" in response.content.decode()
    client.logout()
    hq = _client(client, world.personas.tehran_officer)
    response = hq.post(reverse("staffing:station_assign", args=[world.city_station.pk]),
                       {"slot": "member:1", "national_id": member.national_id})
    assert response.status_code == 404
    assert not Assignment.objects.exists()


def test_run_button_approval_locks_and_reopen(world: Any, client: Any,
                                              django_capture_on_commit_callbacks: Any) -> None:
    full_staff(world)
    c = _client(client, world.personas.gharchak_governor)
    county = world.geo.gharchak
    with django_capture_on_commit_callbacks(execute=True):
        started = c.post(reverse("staffing:county_assign", args=[county.pk]))
    roster = Roster.objects.get(county=county)
    assert roster.run_state == "done" and roster.run_filled == 8
    # The run is followed on its job's page, which says when it is over and links back.
    assert started["Location"] == reverse("site:job", args=[roster.run_job_id])
    job = c.get(started["Location"]).content.decode()
    assert 'data-testid="job-done"' in job
    assert reverse("staffing:county", args=[county.pk]) in job
    page = c.get(reverse("staffing:county", args=[county.pk]))
    assert sum(row.filled for row in page.context["rows"]) == 8
    # The stations' staffed state (readiness) follows the roster.
    assert Station.objects.filter(staffed=True).count() == page.context["staffed"]
    assert 'data-testid="unfilled"' in page.content.decode()  # the second station
    c.post(reverse("staffing:county_approve", args=[county.pk]))
    roster.refresh_from_db()
    assert roster.locked
    extra = world.person(posts=(StationPost.MEMBER,))
    response = _assign(c, world.rural_station, "member:1", extra)
    assert "approved and locked" in response.content.decode()
    assert not Assignment.objects.filter(person=extra).exists()
    c.post(reverse("staffing:county_approve", args=[county.pk]), {"reopen": "1"})
    roster.refresh_from_db()
    assert not roster.locked
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"staffing.roster.approve", "staffing.roster.reopen",
            "staffing.roster.assign"} <= actions
    assignment = Assignment.objects.first()
    assert assignment is not None
    # The public check vouches for a letter only while the roster is approved.
    verify = client.get(reverse("staffing:verify"), {"code": assignment.verification_code})
    assert 'data-testid="not-verified"' in verify.content.decode()
    c.post(reverse("staffing:county_approve", args=[county.pk]))
    verify = client.get(reverse("staffing:verify"), {"code": assignment.verification_code})
    assert assignment.person.full_name in verify.content.decode()
    assert assignment.person.national_id not in verify.content.decode()


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(["کد ملی,نام,نام خانوادگی,سمت‌ها,کد محل سکونت", *rows])).encode()


def test_import_refuses_bad_rows_and_stores_nothing(world: Any, client: Any) -> None:
    c = _client(client, world.personas.gharchak_governor)
    url = reverse("staffing:people_import", args=[world.geo.gharchak.pk])
    bad = "1234567890"
    data = _csv([f"{nid(901)},علی,رضایی,عضو شعبه,231001", f"{bad},زهرا,کریمی,بازرس,",
                 f"{nid(902)},حسن,موسوی,رئیس شعبه,"])
    response = c.post(url, {"file": io.BytesIO(data) | _named("people.csv")})
    body = response.content.decode()
    assert "rejected" in body
    assert "check digit" in body or "national ID" in body
    assert "is not a post of this contest" in body
    assert not Person.objects.exists()
    good = _csv([f"{nid(901)},علی,رضایی,عضو شعبه / بازرس,231001",
                 f"{nid(903)},زهرا,کریمی,پلیس,"])
    response = c.post(url, {"file": _upload(good)})
    assert response.status_code == 302
    person = Person.objects.get(national_id=nid(901))
    assert person.post_list == ["inspector", "member"]
    assert person.home_unit == world.geo.gharchak_city
    assert Event.objects.filter(action="staffing.people.import").count() == 1


class _named:
    def __init__(self, name: str) -> None:
        self.name = name

    def __ror__(self, stream: io.BytesIO) -> io.BytesIO:
        stream.name = self.name  # type: ignore[attr-defined]
        return stream


def _upload(data: bytes) -> io.BytesIO:
    return io.BytesIO(data) | _named("people.csv")


def test_import_command_refuses_bad_national_id(world: Any, tmp_path: Any) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "p.csv"
    path.write_bytes(_csv(["1234567890,زهرا,کریمی,بازرس,"]))
    with pytest.raises(CommandError):
        call_command("import_people", str(path), county="2310")
    assert not Person.objects.exists()
    path.write_bytes(_csv([f"{nid(5)},زهرا,کریمی,بازرس,"]))
    call_command("import_people", str(path), county="2310")
    assert Person.objects.get().county == world.geo.gharchak
    out = io.StringIO()
    # The command speaks the site's language (Persian), digits included (F18).
    with translation.override("fa"):
        call_command("import_people", str(path), county="2310", stdout=out)
    assert "۰ افزوده، ۰ به‌روزشده، ۱ بی‌تغییر" in out.getvalue()
    path.write_bytes(_csv([f"{nid(5)},زهرا,کریمی,بازرس / عضو,231001"]))
    with translation.override("en"):
        call_command("import_people", str(path), county="2310", stdout=out)
    assert "0 created, 1 updated" in out.getvalue()
    assert Person.objects.get().post_list == ["inspector", "member"]
    # The Kerman county cannot take a Gharchak person.
    with pytest.raises(CommandError):
        call_command("import_people", str(path), county="815")


def test_api_station_posts_scoped_and_masked(world: Any, client: Any) -> None:
    from amanat.accounts import services as accounts

    person = world.person(posts=(StationPost.MEMBER,))
    c = _client(client, world.personas.gharchak_governor)
    _assign(c, world.city_station, "member:1", person)
    url = f"/api/v1/staffing/stations/{world.city_station.pk}/posts"

    def get(user: Any) -> Any:
        _token, raw = accounts.api_token_issue(user=user, name="t", ttl_days=1, actor=user)
        return client.get(url, headers={"Authorization": f"Bearer {raw}"})

    answer = get(world.personas.gharchak_governor)
    assert answer.status_code == 200
    body = answer.json()
    assert body["code"] == "1" and not body["staffed"]
    held = [p for p in body["posts"] if p["filled"]]
    # Read by GET, unrecorded: masked for the governor too.
    assert held[0]["national_id"] == "******" + person.national_id[-4:]
    assert person.national_id not in answer.content.decode()
    assert get(world.personas.kerman_governor).status_code == 404
    masked = get(world.personas.tehran_officer).json()
    assert next(p for p in masked["posts"] if p["filled"])["national_id"].startswith("******")


def test_pdfs_and_roster_export_are_audited(world: Any, client: Any) -> None:
    person = world.person(posts=(StationPost.MEMBER,))
    c = _client(client, world.personas.gharchak_governor)
    _assign(c, world.city_station, "member:1", person)
    assignment = Assignment.objects.get()
    c.post(reverse("staffing:county_approve", args=[world.geo.gharchak.pk]))
    for url in (reverse("staffing:station_roster_pdf", args=[world.city_station.pk]),
                reverse("staffing:county_roster_pdf", args=[world.geo.gharchak.pk]),
                reverse("staffing:letter_pdf", args=[assignment.pk])):
        answer = c.post(url)
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF"), url
        assert c.get(url).status_code == 405
    export = c.post(reverse("staffing:county_roster_xlsx", args=[world.geo.gharchak.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][4] == person.national_id and rows[0][8] == assignment.verification_code
    actions = list(Event.objects.values_list("action", flat=True))
    assert actions.count("staffing.roster.pdf") == 2
    assert {"staffing.letter.pdf", "staffing.roster.export"} <= set(actions)
    # A person's page shows the post, the station and the training.
    page = c.get(reverse("staffing:person", args=[person.pk]))
    assert world.city_station.name in page.content.decode()
    assert page.context["training"] == [("Station member", "passed")]


def test_last_run_says_the_solver_status_in_words(world: Any, client: Any,
                                                   django_capture_on_commit_callbacks: Any
                                                   ) -> None:
    """The county page told the governor 'OPTIMAL' (the solver's own word, in English)."""
    full_staff(world)
    c = _client(client, world.personas.gharchak_governor)
    county = world.geo.gharchak
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("staffing:county_assign", args=[county.pk]))
    Roster.objects.filter(county=county).update(run_status="OPTIMAL")
    page = c.get(reverse("staffing:county", args=[county.pk])).content.decode()
    assert "OPTIMAL" not in page
    assert "the best assignment possible" in page
    Roster.objects.filter(county=county).update(run_status="NOT_SOLVED")
    page = c.get(reverse("staffing:county", args=[county.pk])).content.decode()
    assert "NOT_SOLVED" not in page and "the solver stopped early" in page


def _xlsx(rows: list[list[Any]]) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out | _named("people.xlsx")


def test_import_of_a_real_spreadsheet_keeps_national_ids_that_lost_their_zeros(
        world: Any, client: Any) -> None:
    """A county's Excel file: Arabic ي/ك in the headers, national IDs typed as numbers (the
    leading zeros gone), a mobile without its 0, empty rows. It was refused with "the
    national ID has ten digits" and no column or value to find the cell by."""
    c = _client(client, world.personas.gharchak_governor)
    url = reverse("staffing:people_import", args=[world.geo.gharchak.pk])
    zero_led = [with_check_digit("001234567"), with_check_digit("031234567")]
    header = ["كد ملي", "نام", "نام خانوادگي", "جنسيت", "تلفن همراه", "سمت‌ها"]
    bad = _xlsx([header, [1234567890, "علي", "كريمي", "مرد", 9121234567, "عضو شعبه"]])
    body = c.post(url, {"file": bad}).content.decode()
    assert "rejected" in body
    row = body.split('1234567890')[0].rsplit("<tr", 1)[1]
    assert "کد ملی" in row  # the column the refusal is about
    assert not Person.objects.exists()
    good = _xlsx([header,
                  [int(zero_led[0]), "علي", "كريمي", "مرد", 9121234567, "عضو شعبه"],
                  [None] * 6,
                  [],
                  [int(zero_led[1]), "زهرا", "رضايي", "زن", "09351234567", "بازرس"],
                  [None, None]])
    response = c.post(url, {"file": good})
    assert response.status_code == 302, response.content.decode()
    first = Person.objects.get(national_id=zero_led[0])
    assert (first.first_name, first.mobile) == ("علی", "09121234567")
    assert Person.objects.filter(national_id=zero_led[1]).exists()


def test_appointment_letter_gives_the_full_check_address_and_persian_codes(
        world: Any, client: Any, tmp_path: Any) -> None:
    """The printed letter sent its holder to "/staffing/verify/" (a path, useless on paper)
    and printed the station code in Latin digits inside the Persian sentence."""
    from amanat.atlas.tests.test_pdf import pdftotext

    person = world.person(posts=(StationPost.MEMBER,))
    c = _client(client, world.personas.gharchak_governor)
    _assign(c, world.city_station, "member:1", person)
    assignment = Assignment.objects.get()
    c.post(reverse("staffing:county_approve", args=[world.geo.gharchak.pk]))
    answer = c.post(reverse("staffing:letter_pdf", args=[assignment.pk]))
    text = pdftotext(answer.content, tmp_path)
    flat = "".join(text.split())
    assert "http://testserver/staffing/verify/?code=" + assignment.verification_code in flat
    latin_code = world.city_station.code
    assert any(ch.isdigit() for ch in latin_code)
    sentence = flat.replace(assignment.verification_code, "")  # random hex may hold digits
    assert latin_code not in sentence
    assert "".join("۰۱۲۳۴۵۶۷۸۹"[int(ch)] if ch.isdigit() else ch for ch in latin_code) in flat


def test_unknown_post_lists_the_posts_in_the_readers_language(world: Any, client: Any) -> None:
    """A Persian page listed the posts as "representative (نماینده فرماندار), member (…)":
    English codes first, mid-sentence."""
    sign_in(client, world.personas.gharchak_governor)
    url = reverse("staffing:people_import", args=[world.geo.gharchak.pk])
    data = _csv([f"{nid(904)},علی,رضایی,رئیس شعبه,"])
    body = in_language(client, "fa").post(url, {"file": _upload(data)}).content.decode()
    assert "رئیس شعبه" in body and "نماینده فرماندار، عضو شعبه، بازرس، مأمور انتظامی" in body
    assert "representative" not in body
    body = in_language(client, "en").post(url, {"file": _upload(data)}).content.decode()
    assert "Governor&#x27;s representative (representative)" in body
def test_editing_a_holder_cannot_bypass_the_rules(world: Any, client: Any) -> None:
    """An edit of a person who holds a post is checked against the rules for that post:
    the national ID cannot become a candidate's, the post cannot be dropped, the holder
    cannot be made unavailable, and an approved roster's holder keeps their identity."""
    from amanat.candidates.models import Candidacy
    from amanat.staffing.tests.test_assign import _constituency

    c = _client(client, world.personas.gharchak_governor)
    holder = world.person(posts=(StationPost.MEMBER,))
    _assign(c, world.city_station, "member:1", holder)
    assert Assignment.objects.filter(person=holder).exists()
    candidate_nid = nid(900)
    Candidacy.objects.create(
        reference="T9", election=world.election, contest=world.election.contests.first(),
        constituency_id=_constituency(world).pk, county=world.geo.gharchak,
        unit_path=world.geo.gharchak.path, channel="walk_in", national_id=candidate_nid,
        first_name="x", last_name="y", gender="male", birth_date="1980-01-01", education=5,
        mobile="09120000000", state="registered")
    url = reverse("staffing:person_edit", args=[holder.pk])
    form = {"national_id": holder.national_id, "first_name": holder.first_name,
            "last_name": holder.last_name, "mobile": holder.mobile, "gender": "",
            "home_unit": world.geo.gharchak_city.pk, "posts": ["member"], "available": "on",
            "employer": ""}
    for change, says in (({"national_id": candidate_nid}, "is a candidate"),
                         ({"national_id": nid(901)}, "has not completed the course"),
                         ({"posts": ["police"]}, "is not among their posts"),
                         ({"available": ""}, "is not available")):
        response = c.post(url, {**form, **change})
        assert response.status_code == 200, change
        assert says in response.content.decode(), change
        holder.refresh_from_db()
        assert holder.national_id == form["national_id"] and holder.post_list == ["member"]
        assert holder.available
    # An ordinary change still goes through.
    assert c.post(url, {**form, "mobile": "09127654321"}).status_code == 302
    # The import is held to the same rules: nothing stored.
    data = ("کد ملی,نام,نام خانوادگی,سمت‌ها,در دسترس\n"
            f"{holder.national_id},{holder.first_name},{holder.last_name},پلیس,بله\n").encode()
    from django.core.files.uploadedfile import SimpleUploadedFile
    response = c.post(reverse("staffing:people_import", args=[world.geo.gharchak.pk]),
                      {"file": SimpleUploadedFile("people.csv", data)})
    assert "is not among their posts" in response.content.decode()
    holder.refresh_from_db()
    assert holder.post_list == ["member"]
    # In an approved roster the holder's identity is fixed.
    c.post(reverse("staffing:county_approve", args=[world.geo.gharchak.pk]))
    response = c.post(url, {**form, "last_name": "دیگری"})
    assert "approved and locked" in response.content.decode()
    holder.refresh_from_db()
    assert holder.last_name != "دیگری"


def test_approval_and_the_solver_run_do_not_overwrite_each_other(
        world: Any, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The governor cannot approve while a run is queued, and a run that finds the roster
    approved when it stores keeps the approval and stores nothing (the run's final save
    used to write the state it had read at its start back: the approval vanished)."""
    full_staff(world)
    c = _client(client, world.personas.gharchak_governor)
    county = world.geo.gharchak
    with django_capture_on_commit_callbacks(execute=False) as queued:
        c.post(reverse("staffing:county_assign", args=[county.pk]))
    refused = c.post(reverse("staffing:county_approve", args=[county.pk]), follow=True)
    assert "under way" in refused.content.decode()
    roster = Roster.objects.get(county=county)
    assert not roster.locked
    # A second request approves the roster while the solver is already past its start.
    from amanat.staffing.assignment import roster_assign
    from amanat.staffing.models import RosterState

    def approve_during_run(percent: int, stage: str) -> None:
        if stage == "store":
            Roster.objects.filter(pk=roster.pk).update(state=RosterState.APPROVED)

    with pytest.raises(Exception, match="approved and locked"):
        roster_assign(election=world.election, county=county, progress=approve_during_run)
    roster.refresh_from_db()
    assert roster.locked
    assert not Assignment.objects.exists()
    for callback in queued:  # the queued task itself finds the roster approved
        with contextlib.suppress(Exception):
            callback()
    roster.refresh_from_db()
    assert roster.locked and not Assignment.objects.exists()


def test_import_refuses_an_oversized_file_before_reading_it(world: Any, client: Any,
                                                            monkeypatch: Any) -> None:
    """The people import has a size limit like every other import (it read any upload
    whole into memory)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from amanat.staffing import forms as staffing_forms

    monkeypatch.setattr(staffing_forms, "MAX_IMPORT_BYTES", 1000, raising=False)
    c = _client(client, world.personas.gharchak_governor)
    rows = [f"{nid(1000 + i)},علی,رضایی,عضو شعبه," for i in range(40)]
    response = c.post(reverse("staffing:people_import", args=[world.geo.gharchak.pk]),
                      {"file": SimpleUploadedFile("people.csv", _csv(rows))})
    assert "larger than" in response.content.decode()
    assert not Person.objects.exists()


def test_no_appointment_letter_from_a_draft_roster(world: Any, client: Any) -> None:
    """A letter printed from a draft roster named someone the governor could still move
    or remove: refused (naming the county), nothing recorded, until the roster is approved;
    another county's governor gets 404."""
    person = world.person(posts=(StationPost.MEMBER,))
    c = _client(client, world.personas.gharchak_governor)
    _assign(c, world.city_station, "member:1", person)
    assignment = Assignment.objects.get()
    url = reverse("staffing:letter_pdf", args=[assignment.pk])
    answer = c.post(url, follow=True)
    body = answer.content.decode()
    assert not answer.content.startswith(b"%PDF")
    assert "still a draft: approve it before printing appointment letters" in body
    assert world.geo.gharchak.name in body
    assert not Event.objects.filter(action="staffing.letter.pdf").exists()
    persian = in_language(client, "fa").post(url, follow=True).content.decode()
    assert "پیش‌نویس" in persian
    other = _client(Client(), world.personas.kerman_governor)
    assert other.post(url).status_code == 404
    c = _client(client, world.personas.gharchak_governor)
    c.post(reverse("staffing:county_approve", args=[world.geo.gharchak.pk]))
    answer = c.post(url)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert Event.objects.filter(action="staffing.letter.pdf").count() == 1


def test_the_auditor_reads_staffing_events_without_national_ids(world: Any, client: Any
                                                                 ) -> None:
    """Staffing wrote people's full national IDs into the audit log (a person's edit, an
    assignment's "person"), and the auditor's log showed them. Written masked (the person
    by id) from now on; an older entry that holds one is shown masked."""
    from django.db import transaction

    from amanat.audit.services import audit_append, audit_event, audit_record

    person = world.person(posts=(StationPost.MEMBER,))
    c = _client(client, world.personas.gharchak_governor)
    c.post(reverse("staffing:person_edit", args=[person.pk]), {
        "national_id": person.national_id, "first_name": "نفر", "last_name": "تازه",
        "mobile": person.mobile, "posts": [StationPost.MEMBER], "available": "on",
        "home_unit": person.home_unit.pk})
    assert Event.objects.filter(action="staffing.person.update").exists()
    _assign(c, world.city_station, "member:1", person)
    assignment = Assignment.objects.get()
    c.post(reverse("staffing:station_assign", args=[world.city_station.pk]),
           {"clear": assignment.pk})
    staffing = Event.objects.filter(action__startswith="staffing.")
    assert {"staffing.assignment.set", "staffing.assignment.clear"} <= set(
        staffing.values_list("action", flat=True))
    for event in staffing:
        for payload in (event.before, event.after, event.extra):
            assert person.national_id not in str(payload), event.action
            assert person.mobile not in str(payload), event.action
    # Whatever a caller passes, the log gets it masked ...
    written = audit_record(action="staffing.assignment.set",
                           actor=world.personas.gharchak_governor, unit=world.geo.gharchak,
                           obj=assignment, after={"person": person.national_id,
                                                  "mobile": person.mobile})
    assert written.after == {"person": "******" + person.national_id[-4:],
                             "mobile": person.mobile[:4] + "****" + person.mobile[-3:]}
    # ... and an entry written before the change, as staffing wrote them then, is shown
    # masked.
    old = audit_event(action="staffing.assignment.set",
                      actor=world.personas.gharchak_governor, unit=world.geo.gharchak,
                      obj=assignment)
    old.after = {"station": "1", "post": "member", "slot": 1, "person": person.national_id}
    with transaction.atomic():
        audit_append(old)
    auditor = _client(Client(), world.personas.auditor)
    log = auditor.get(reverse("audit:events")).content.decode()
    assert "******" + person.national_id[-4:] in log
    assert person.national_id not in log
    # The person is named on the new entries.
    person.refresh_from_db()
    assert person.full_name == "نفر تازه" and person.full_name in log


def test_a_run_whose_worker_died_can_be_started_again(
        world: Any, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    """A roster stayed "running" for ever after its worker died: the button stayed
    disabled and the service refused every new run. Now a run without a sign of life for
    core.jobs.STALE_AFTER is said stale on the page, and the governor starts it again
    (the dead job closed, the restart recorded); a live run is still refused, and another
    county's governor gets 404."""
    import datetime

    from django.utils import timezone

    from amanat.core import jobs
    from amanat.core.models import Job, JobStatus
    from amanat.staffing.models import RunState

    full_staff(world)
    county = world.geo.gharchak
    c = _client(client, world.personas.gharchak_governor)
    dead_job = jobs.job_create(kind="staffing.assign", title="run", total=100,
                               user_id=world.personas.gharchak_governor.pk)
    old = timezone.now() - datetime.timedelta(hours=2)
    Job.objects.filter(pk=dead_job.pk).update(status=JobStatus.RUNNING, started_at=old,
                                              beat_at=old)
    Roster.objects.create(election=world.election, county=county, unit_path=county.path,
                          run_state=RunState.RUNNING, run_percent=35, run_stage="solver",
                          run_job=dead_job, run_beat_at=old)
    url = reverse("staffing:county", args=[county.pk])
    # A live run (a sign of life a minute ago) is still under way: refused.
    Roster.objects.filter(county=county).update(
        run_beat_at=timezone.now() - datetime.timedelta(minutes=1))
    page = c.get(url).content.decode()
    assert 'data-testid="run-stale"' not in page
    assert 'data-testid="run-assign" disabled' in page
    answer = c.post(reverse("staffing:county_assign", args=[county.pk]), follow=True)
    assert "already under way" in answer.content.decode()
    assert not Event.objects.filter(action="staffing.roster.assign_queued").exists()
    # Two hours without a sign of life: the page says so and the button is offered.
    Roster.objects.filter(county=county).update(run_beat_at=old)
    page = c.get(url).content.decode()
    assert 'data-testid="run-stale"' in page and "has probably stopped" in page
    assert 'data-testid="run-assign" disabled' not in page
    other = _client(Client(), world.personas.kerman_governor)
    assert other.post(reverse("staffing:county_assign", args=[county.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("staffing:county_assign", args=[county.pk]))
    roster = Roster.objects.get(county=county)
    assert roster.run_state == RunState.DONE and roster.run_filled > 0
    dead_job.refresh_from_db()
    assert dead_job.status == JobStatus.FAILED and dead_job.finished_at is not None
    assert roster.run_job_id != dead_job.pk
    queued = Event.objects.get(action="staffing.roster.assign_queued")
    assert queued.extra == {"gender_balance": False, "replace": False,
                            "restarted_stale_run": True}
    page = c.get(url).content.decode()
    assert 'data-testid="run-stale"' not in page


def test_county_page_pages_its_stations_and_counts_the_staffed_ones(
        world: Any, client: Any, monkeypatch: Any) -> None:
    """The county page shows a page of stations (the largest county has thousands); the
    staffed figure is the county's, not the page's, and the pager keeps the election."""
    from amanat.staffing import views

    monkeypatch.setattr(views, "STATIONS_PER_PAGE", 1)
    c = _client(client, world.personas.gharchak_governor)
    url = reverse("staffing:county", args=[world.geo.gharchak.pk])
    Station.objects.filter(pk=world.rural_station.pk).update(staffed=True)
    first = c.get(url, {"election": world.election.slug})
    assert [r.station.pk for r in first.context["rows"]] == [world.city_station.pk]
    assert first.context["page"].paginator.count == 2
    assert first.context["staffed"] == 1  # the rural station, on the second page
    assert f"election={world.election.slug}&amp;page=2" in first.content.decode()
    second = c.get(url, {"page": 2})
    assert [r.station.pk for r in second.context["rows"]] == [world.rural_station.pk]
    # The same number of queries whatever the number of stations on the page.
    one = len(_queries_of(c, url))
    monkeypatch.setattr(views, "STATIONS_PER_PAGE", 50)
    assert len(_queries_of(c, url)) == one


def _queries_of(client: Any, url: str) -> list[Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return captured.captured_queries


def test_county_list_pages_the_counties_and_the_people_pager_keeps_the_search(
        world: Any, client: Any, monkeypatch: Any) -> None:
    from amanat.staffing import views

    monkeypatch.setattr(views, "COUNTIES_PER_PAGE", 1)
    monkeypatch.setattr(views, "PER_PAGE", 1)
    c = _client(client, world.personas.admin)
    first = c.get(reverse("staffing:counties"))
    assert len(first.context["rows"]) == 1 and first.context["page"].paginator.count > 1
    names = {c.get(reverse("staffing:counties"), {"page": n}).context["rows"][0].county.name
             for n in range(1, first.context["page"].paginator.num_pages + 1)}
    assert {world.geo.gharchak.name, world.geo.kerman_county.name} <= names
    world.person(posts=(StationPost.INSPECTOR,))
    world.person(posts=(StationPost.INSPECTOR,))
    world.person(posts=(StationPost.MEMBER,))
    page = c.get(reverse("staffing:people", args=[world.geo.gharchak.pk]),
                 {"post": "inspector"})
    assert page.context["page"].paginator.count == 2
    assert page.context["query"] == "post=inspector"
    assert "?post=inspector&amp;page=2" in page.content.decode()


def test_the_run_button_offers_the_gender_balance(world: Any, client: Any,
                                                  django_capture_on_commit_callbacks: Any
                                                  ) -> None:
    """The issue's optional gender balance per station was only on the command: the
    county's button ran without it."""
    # One station, in the city: five men live there, a woman in Qaleh-Now, farther.
    Station.objects.filter(pk=world.rural_station.pk).delete()
    for post in (StationPost.REPRESENTATIVE, StationPost.POLICE, StationPost.INSPECTOR):
        world.person(posts=(post,), gender="male")
    for _ in range(5):
        world.person(posts=(StationPost.MEMBER,), gender="male")
    woman = world.person(posts=(StationPost.MEMBER,), gender="female", home=world.geo.qaleh_now)
    c = _client(client, world.personas.gharchak_governor)
    county = world.geo.gharchak
    page = c.get(reverse("staffing:county", args=[county.pk])).content.decode()
    assert 'name="gender_balance"' in page
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("staffing:county_assign", args=[county.pk]))
    assert not Assignment.objects.filter(person=woman).exists()  # the nearest five: men
    with django_capture_on_commit_callbacks(execute=True):
        # Again, as a full re-optimisation (a re-run otherwise fills empty posts only).
        c.post(reverse("staffing:county_assign", args=[county.pk]),
               {"gender_balance": "on", "mode": "replace"})
    assert Assignment.objects.filter(person=woman).exists()
    event = Event.objects.filter(action="staffing.roster.assign_queued").latest("seq")
    assert event.extra["gender_balance"] is True


def test_the_edit_form_never_shows_the_national_id_or_mobile_in_full(world: Any,
                                                                     client: Any) -> None:
    """Auth review 2, F1: the edit page put the person's national ID and mobile in full
    into its form on a GET, which writes no audit entry, beside the person's page that
    shows them only through the audited reveal.  Now masked in the help; empty keeps
    them, a new value replaces them, the mobile can be removed."""
    person = world.person(posts=(StationPost.MEMBER,))
    Person.objects.filter(pk=person.pk).update(mobile="09121234567")
    person.refresh_from_db()
    c = _client(client, world.personas.gharchak_governor)
    url = reverse("staffing:person_edit", args=[person.pk])
    page = c.get(url).content.decode()
    assert person.national_id not in page and "09121234567" not in page
    assert "******" + person.national_id[-4:] in page and "0912****567" in page
    assert not Event.objects.filter(action="staffing.person.read").exists()

    common = {"first_name": "نفر", "last_name": "تازه", "posts": [StationPost.MEMBER],
              "available": "on", "home_unit": person.home_unit.pk}
    assert c.post(url, {**common, "national_id": "", "mobile": ""}).status_code == 302
    person.refresh_from_db()
    assert (person.last_name, person.mobile) == ("تازه", "09121234567")
    assert person.national_id == Person.objects.get(pk=person.pk).national_id != ""
    kept = person.national_id
    assert c.post(url, {**common, "national_id": "", "mobile": "",
                        "mobile_clear": "on"}).status_code == 302
    person.refresh_from_db()
    assert (person.national_id, person.mobile) == (kept, "")
    assert c.post(url, {**common, "national_id": nid(777), "mobile": "09127654321"}
                  ).status_code == 302
    person.refresh_from_db()
    assert (person.national_id, person.mobile) == (nid(777), "09127654321")
