"""Training pages through the views: enrolment within capacity, national IDs checked,
the attendance checklist and sheet import (all or nothing), the assessment, the
certificate PDF and its public check, scope and masking, the public material."""

from __future__ import annotations

import html
import io
import subprocess
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.lib.tabular import write_table
from amanat.training import services
from amanat.training.models import Attempt, Completion, Course, Enrolment, Session
from amanat.training.tests.conftest import World, nid

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    return in_language(sign_in(Client(), user), "en")


def _bad_nid(n: int) -> str:
    good = nid(n)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def _enrol(client: Client, session: Session, n: int, name: str = "") -> Any:
    return client.post(reverse("training:session_enrol", args=[session.pk]),
                       {"national_id": nid(n), "full_name": name or f"Person {n}"},
                       follow=True)


def test_enrolment_over_capacity_is_refused(world: World) -> None:
    client = _client(world.personas.gharchak_governor)
    session = world.gharchak_session  # capacity 2
    assert "was enrolled" in _enrol(client, session, 1).content.decode()
    assert "was enrolled" in _enrol(client, session, 2).content.decode()
    page = _enrol(client, session, 3).content.decode()
    assert "is full" in page or "Enrol a person" not in page
    assert Enrolment.objects.filter(session=session).count() == 2
    session.refresh_from_db()
    assert session.enrolled == 2
    # the service refuses too (the form is gone from a full session's page)
    with pytest.raises(services.RuleError) as caught:
        services.enrol(actor=None, course=session.course, session=session,
                       national_id=nid(3), full_name="Three")
    assert caught.value.code == "session_full"
    assert Enrolment.objects.filter(session=session).count() == 2


def test_double_enrolment_is_refused(world: World) -> None:
    client = _client(world.personas.kerman_governor)
    _enrol(client, world.kerman_session, 1)
    page = _enrol(client, world.kerman_session, 1).content.decode()
    assert "is already enrolled" in page
    assert Enrolment.objects.filter(national_id=nid(1)).count() == 1
    world.kerman_session.refresh_from_db()
    assert world.kerman_session.enrolled == 1


def test_bad_national_id_is_refused_and_nothing_stored(world: World) -> None:
    client = _client(world.personas.gharchak_governor)
    page = client.post(reverse("training:session_enrol", args=[world.gharchak_session.pk]),
                       {"national_id": _bad_nid(4), "full_name": "Wrong"},
                       follow=True).content.decode()
    assert "its check digit is wrong" in page
    assert not Enrolment.objects.exists()
    fa = in_language(sign_in(Client(), world.personas.gharchak_governor), "fa")
    page = fa.post(reverse("training:session_enrol", args=[world.gharchak_session.pk]),
                   {"national_id": _bad_nid(4), "full_name": "Wrong"},
                   follow=True).content.decode()
    assert "رقم کنترل" in page
    assert not Enrolment.objects.exists()


def test_attendance_checklist(world: World) -> None:
    client = _client(world.personas.gharchak_governor)
    _enrol(client, world.gharchak_session, 1)
    _enrol(client, world.gharchak_session, 2)
    first = Enrolment.objects.get(national_id=nid(1))
    client.post(reverse("training:attendance", args=[world.gharchak_session.pk]),
                {"attended": [first.pk]})
    assert set(Enrolment.objects.filter(attended=True).values_list("national_id", flat=True)) \
        == {nid(1)}
    assert Event.objects.filter(action="training.attendance.mark").exists()


def _sheet(rows: list[list[Any]], fmt: str = "xlsx") -> io.BytesIO:
    buffer = io.BytesIO()
    write_table(buffer, ["ردیف", "کد ملی", "نام و نام خانوادگی", "تلفن همراه", "حضور"],
                rows, format=fmt, sheet_title="حضور")  # type: ignore[arg-type]
    buffer.seek(0)
    buffer.name = f"attendance.{fmt}"
    return buffer


def test_attendance_import_is_atomic_with_row_errors(world: World) -> None:
    client = _client(world.personas.kerman_governor)
    url = reverse("training:attendance_import", args=[world.kerman_session.pk])
    bad = _sheet([[1, nid(1), "Ali", "09121234567", "بله"],
                  [2, _bad_nid(2), "Sara", "", "بله"],
                  [3, nid(3), "Reza", "", "maybe"]])
    page = client.post(url, {"file": bad}).content.decode()
    assert "Nothing was stored" in page
    assert "Line 3:" in page and "check digit" in page
    assert "Line 4:" in page
    assert not Enrolment.objects.exists()
    good = _sheet([[1, nid(1), "Ali", "09121234567", "بله"],
                   [2, nid(2), "Sara", "", "خیر"],
                   [3, nid(3), "Reza", "", ""]], fmt="csv")
    response = client.post(url, {"file": good})
    assert response.status_code == 302
    assert set(Enrolment.objects.filter(attended=True).values_list("national_id", flat=True)) \
        == {nid(1), nid(3)}
    world.kerman_session.refresh_from_db()
    assert world.kerman_session.enrolled == 3
    # over capacity (5): three more new people is refused whole
    more = _sheet([[1, nid(4), "A", "", ""], [2, nid(5), "B", "", ""],
                   [3, nid(6), "C", "", ""]])
    page = client.post(url, {"file": more}).content.decode()
    assert "free places" in page
    assert Enrolment.objects.count() == 3


def test_assessment_pass_and_fail(world: World) -> None:
    client = _client(world.personas.gharchak_governor)
    course = world.inspector_course  # pass mark 60, three questions, right: 1, 2, 1
    questions = list(course.questions.all())
    url = reverse("training:assessment", args=[course.pk])
    assert client.get(url).status_code == 200

    def answers(values: list[int]) -> dict[str, Any]:
        return {f"q{q.pk}": v for q, v in zip(questions, values, strict=True)}

    page = client.post(url, {"national_id": nid(8), "full_name": "Failing Person",
                             **answers([2, 1, 1])}).content.decode()
    assert "did not pass" in page
    assert not Completion.objects.filter(national_id=nid(8)).exists()
    page = client.post(url, {"national_id": nid(8), "full_name": "Passing Person",
                             **answers([1, 2, 2])}).content.decode()
    assert "passed with a score of 67" in page
    assert Attempt.objects.filter(national_id=nid(8)).count() == 2
    completion = Completion.objects.get(national_id=nid(8))
    assert completion.unit == world.geo.gharchak and completion.score == 67


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                          check=True)
    return done.stdout.decode()


def test_certificate_pdf_and_public_check(world: World) -> None:
    services.record_completions(actor=None, course=world.inspector_course,
                                people=[(nid(9), "Maryam Karimi")], score=80)
    completion = Completion.objects.get(national_id=nid(9))
    client = _client(world.personas.admin)
    response = client.post(reverse("training:certificate", args=[completion.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(b"".join(response.streaming_content))
    assert "Maryam Karimi" in text
    assert completion.code in text
    assert Event.objects.filter(action="training.certificate.download").exists()

    public = in_language(Client(), "en")
    url = reverse("training_verify")
    page = public.get(url, {"code": completion.code.lower().replace("-", " ")}).content.decode()
    assert 'data-testid="verify-found"' in page
    assert "Maryam K…" in page and "Karimi" not in page
    assert html.escape(world.inspector_course.title) in page
    assert nid(9) not in page
    page = public.get(url, {"code": "AAAA-BBBB-CCCC"}).content.decode()
    assert 'data-testid="verify-not-found"' in page


def test_kerman_sees_no_gharchak_session_or_attendee(world: World) -> None:
    services.enrol(actor=None, course=world.inspector_course, session=world.gharchak_session,
                   national_id=nid(1), full_name="Gharchak Person")
    services.record_completions(actor=None, course=world.inspector_course,
                                people=[(nid(1), "Gharchak Person")])
    completion = Completion.objects.get()
    kerman = _client(world.personas.kerman_governor)
    page = kerman.get(reverse("training:course", args=[world.inspector_course.pk]))
    assert page.status_code == 200  # the national course is read
    body = page.content.decode()
    assert "Gharchak hall" not in body and "Kerman hall" in body
    for name, args in (("training:session", [world.gharchak_session.pk]),
                       ("training:session_edit", [world.gharchak_session.pk]),
                       ("training:attendance_import", [world.gharchak_session.pk]),
                       ("training:course_edit", [world.inspector_course.pk])):
        assert kerman.get(reverse(name, args=args)).status_code == 404, name
    assert kerman.post(reverse("training:certificate",
                               args=[completion.pk])).status_code == 404
    body = kerman.get(reverse("training:completions",
                              args=[world.inspector_course.pk])).content.decode()
    assert "Gharchak Person" not in body
    assert kerman.post(reverse("training:session_enrol", args=[world.gharchak_session.pk]),
                       {"national_id": nid(2), "full_name": "X"}).status_code == 404
    assert Enrolment.objects.count() == 1
    # a county course is the county's: Kerman cannot edit the national one, but its own
    own = services.course_create(actor=None, election=world.election,
                                 unit=world.geo.kerman_county,
                                 data={"audience": "security", "title": "Kerman police"})
    assert kerman.get(reverse("training:course_edit", args=[own.pk])).status_code == 200
    gharchak = _client(world.personas.gharchak_governor)
    assert gharchak.get(reverse("training:course", args=[own.pk])).status_code == 404


def test_national_ids_masked_for_the_auditor(world: World) -> None:
    services.enrol(actor=None, course=world.inspector_course, session=world.gharchak_session,
                   national_id=nid(1), full_name="Gharchak Person", mobile="09121234567")
    services.record_completions(actor=None, course=world.inspector_course,
                                people=[(nid(1), "Gharchak Person")])
    auditor = _client(world.personas.auditor)
    body = auditor.get(reverse("training:session",
                               args=[world.gharchak_session.pk])).content.decode()
    assert "Gharchak Person" in body and nid(1) not in body and "09121234567" not in body
    body = auditor.get(reverse("training:completions",
                               args=[world.inspector_course.pk])).content.decode()
    assert nid(1) not in body and "******" in body
    response = auditor.post(reverse("training:completions_export",
                                    args=[world.inspector_course.pk, "csv"]))
    assert nid(1) not in response.content.decode()
    assert Event.objects.filter(action="training.completions.export").exists()
    governor = _client(world.personas.gharchak_governor)
    url = reverse("training:session", args=[world.gharchak_session.pk])
    # A GET shows them masked to the training staff too, and records nothing ...
    body = governor.get(url).content.decode()
    assert nid(1) not in body and "09121234567" not in body and 'data-testid="reveal"' in body
    body = governor.get(reverse("training:completions",
                                args=[world.inspector_course.pk])).content.decode()
    assert nid(1) not in body
    assert not Event.objects.filter(action="training.session.read").exists()
    # ... the reveal (a POST) shows them, recorded; the auditor's reveal shows nothing.
    body = governor.post(url, {"reveal": "1"}).content.decode()
    assert nid(1) in body and "09121234567" in body
    assert Event.objects.filter(action="training.session.read",
                                actor_id=world.personas.gharchak_governor.pk).count() == 1
    body = auditor.post(url, {"reveal": "1"}).content.decode()
    assert nid(1) not in body and "09121234567" not in body
    assert Event.objects.filter(action="training.session.read").count() == 1
    response = governor.post(reverse("training:completions_export",
                                     args=[world.inspector_course.pk, "csv"]))
    assert nid(1) in response.content.decode()


def test_public_material_signed_out(world: World) -> None:
    public = in_language(Client(), "en")
    page = public.get(reverse("training_public")).content.decode()
    assert "Voters&#x27; guide" in page
    assert "Inspectors" not in page
    assert public.get(reverse("training_public_course",
                              args=[world.voters_course.pk])).status_code == 200
    assert public.get(reverse("training_public_course",
                              args=[world.inspector_course.pk])).status_code == 404
    page = public.get(reverse("portal:awareness")).content.decode()
    assert "Candidates&#x27; course" in page
    # staff pages are not public
    assert public.get(reverse("training:courses")).status_code == 302


def test_course_create_and_edit_through_pages(world: World) -> None:
    client = _client(world.personas.admin)
    response = client.post(reverse("training:course_new"), {
        "title": "Members' course", "audience": "station_staff", "post": "member",
        "unit": world.geo.iran.pk, "delivery": "sessions", "pass_mark": 70})
    assert response.status_code == 302
    course = Course.objects.get(post="member")
    page = client.post(reverse("training:course_new"), {
        "title": "Second members' course", "audience": "station_staff", "post": "member",
        "unit": world.geo.iran.pk, "delivery": "sessions", "pass_mark": 70}).content.decode()
    assert "one course qualifies for a post" in page
    page = client.post(reverse("training:course_edit", args=[course.pk]), {
        "title": "Members", "audience": "station_staff", "post": "member", "public": "on",
        "delivery": "sessions", "pass_mark": 70}).content.decode()
    assert "Only courses for voters and candidates are published" in page
    response = client.post(reverse("training:questions", args=[course.pk]),
                           {"questions": "Q?\n* yes\n- no"})
    assert response.status_code == 302 and course.questions.count() == 1
    assert Event.objects.filter(action="training.course.create").count() >= 1


def test_self_paced_enrolment_and_completion_by_attendance(world: World) -> None:
    client = _client(world.personas.gharchak_governor)
    client.post(reverse("training:course_enrol", args=[world.candidates_course.pk]),
                {"national_id": nid(20), "full_name": "Self Paced"})
    enrolment = Enrolment.objects.get(national_id=nid(20))
    assert enrolment.session is None and enrolment.unit == world.geo.gharchak
    # a course without an assessment completes by attendance
    course = services.course_create(actor=None, election=world.election, unit=world.geo.iran,
                                    data={"audience": "security", "title": "Police"})
    session = services.session_create(actor=None, course=course, unit=world.geo.gharchak,
                                      data={"place": "Hall", "trainer": "T", "capacity": 3,
                                            "starts_at": world.gharchak_session.starts_at})
    _enrol(client, session, 21)
    _enrol(client, session, 22)
    present = Enrolment.objects.get(course=course, national_id=nid(21))
    client.post(reverse("training:attendance", args=[session.pk]), {"attended": [present.pk]})
    client.post(reverse("training:session_complete", args=[session.pk]))
    assert set(Completion.objects.filter(course=course)
               .values_list("national_id", flat=True)) == {nid(21)}
    # the inspectors' course has an assessment: attendance alone does not complete it
    client.post(reverse("training:session_complete", args=[world.gharchak_session.pk]))
    assert not Completion.objects.filter(course=world.inspector_course).exists()


def test_session_capacity_cannot_drop_below_the_enrolled(world: World) -> None:
    client = _client(world.personas.gharchak_governor)
    _enrol(client, world.gharchak_session, 1)
    _enrol(client, world.gharchak_session, 2)
    page = client.post(reverse("training:session_edit", args=[world.gharchak_session.pk]), {
        "place": "Hall", "trainer": "T", "day": "1405/10/01", "time": "09:30",
        "capacity": 1}).content.decode()
    assert "the capacity cannot be lower" in page
    world.gharchak_session.refresh_from_db()
    assert world.gharchak_session.capacity == 2


def test_course_list_is_constant_in_queries(world: World, count_queries: Any) -> None:
    client = _client(world.personas.admin)
    url = reverse("training:courses")
    client.get(url)
    before = count_queries(lambda: client.get(url))
    for i in range(5):
        services.course_create(actor=None, election=world.election, unit=world.geo.gharchak,
                               data={"audience": "security", "title": f"Extra {i}"})
    assert count_queries(lambda: client.get(url)) == before


def test_attendance_sheet_with_english_headers_and_lost_leading_zeros(world: World) -> None:
    from amanat.lib.nationalid import with_check_digit

    leading = with_check_digit("001234567")
    assert leading.startswith("00")
    buffer = io.BytesIO()
    write_table(buffer, ["National ID", "Full name", "Attended"],
                [[int(leading), "Zero Lead", "yes"], [nid(30), "Plain", "no"]],
                format="xlsx", sheet_title="attendance")
    buffer.seek(0)
    buffer.name = "sheet.xlsx"
    client = _client(world.personas.kerman_governor)
    response = client.post(reverse("training:attendance_import",
                                   args=[world.kerman_session.pk]), {"file": buffer})
    assert response.status_code == 302
    assert Enrolment.objects.get(national_id=leading).attended
    assert not Enrolment.objects.get(national_id=nid(30)).attended


def test_no_attendance_or_completion_before_the_session(world: World) -> None:
    """A session dated in the future takes no attendance, no attendance sheet and no
    completion by attendance (people were "trained" for the staffing rule by a session
    that had not happened)."""
    import datetime

    from django.utils import timezone

    session = world.gharchak_session
    client = _client(world.personas.gharchak_governor)
    _enrol(client, session, 40, "Future Person")
    enrolment = session.enrolments.get(national_id=nid(40))
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + datetime.timedelta(days=30))
    page = client.post(reverse("training:attendance", args=[session.pk]),
                       {"attended": [enrolment.pk]}, follow=True)
    assert "has not started yet" in page.content.decode()
    enrolment.refresh_from_db()
    assert not enrolment.attended
    page = client.post(reverse("training:attendance_import", args=[session.pk]),
                       {"file": _sheet([[1, nid(40), "Future Person", "", "بله"]],
                                       fmt="csv")})
    assert "has not started yet" in page.content.decode()
    # Attendance marked while the session was dated in the past, then moved forward.
    Enrolment.objects.filter(pk=enrolment.pk).update(attended=True)
    page = client.post(reverse("training:session_complete", args=[session.pk]), follow=True)
    assert "has not started yet" in page.content.decode()
    assert not Completion.objects.filter(national_id=nid(40)).exists()
