"""Writes of training, each in one transaction with its audit entry.

``record_completions`` is the interface for the apps above (staffing's demo and any
bulk "these people passed" source); everything else serves this app's pages and
commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.audit.services import audit_record
from amanat.core import identity
from amanat.core.errors import Digits, RuleError
from amanat.core.identity import national_id_checked
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.lib.persian import normalize
from amanat.training.models import (
    PUBLIC_AUDIENCES,
    Attempt,
    Audience,
    Completion,
    Course,
    Enrolment,
    Question,
    Session,
)

COURSE_FIELDS = ("audience", "post", "title", "summary", "material", "delivery", "pass_mark",
                 "public")
SESSION_FIELDS = ("place", "starts_at", "trainer", "capacity")


# --- checks of what people type -----------------------------------------------------------

def full_name_checked(text: str, *, field: str = "full_name") -> str:
    name = " ".join(normalize(text or "").split())
    if not name:
        raise RuleError(_("Enter the person's full name."), code="full_name", field=field)
    if len(name) > 200:
        raise RuleError(_("The full name is longer than 200 characters."), code="full_name",
                        field=field)
    return name


def mobile_checked(text: str, *, field: str = "mobile") -> str:
    """An optional mobile number: empty, or 09xxxxxxxxx."""
    return identity.mobile_checked(text, field=field, required=False)


def _course_checked(data: Mapping[str, Any]) -> None:
    audience = data.get("audience")
    post = data.get("post") or ""
    if audience == Audience.STATION_STAFF and not post:
        raise RuleError(_("A course for station staff names the post it qualifies for."),
                        code="post_required", field="post")
    if audience != Audience.STATION_STAFF and post:
        raise RuleError(_("Only a course for station staff names a post."),
                        code="post_not_staff", field="post")
    if data.get("public") and audience not in PUBLIC_AUDIENCES:
        raise RuleError(_("Only courses for voters and candidates are published on the "
                          "public pages."), code="public_audience", field="public")
    pass_mark = data.get("pass_mark")
    if pass_mark is not None and not 0 <= int(pass_mark) <= 100:
        raise RuleError(_("The pass mark is a percentage from 0 to 100."), code="pass_mark",
                        field="pass_mark")


def _post_taken(election: Election, post: str, exclude: int | None = None) -> None:
    if not post:
        return
    qs = Course.objects.filter(election=election, post=post)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    other = qs.first()
    if other is not None:
        raise RuleError(_("“%(title)s” is already the course for this post in this "
                          "election: one course qualifies for a post."), code="post_taken",
                        field="post", title=other.title)


# --- courses ------------------------------------------------------------------------------


def _course_state(course: Course) -> dict[str, Any]:
    return {name: getattr(course, name) for name in COURSE_FIELDS} | {"unit": course.unit_id}


def course_create(*, actor: AnyUser | None, election: Election, unit: AdminUnit,
                  data: Mapping[str, Any]) -> Course:
    _course_checked(data)
    with transaction.atomic():
        _post_taken(election, data.get("post") or "")
        course = Course(election=election, unit=unit,
                        **{k: data[k] for k in COURSE_FIELDS if k in data})
        if course.post is None:
            course.post = ""
        course.save()
        audit_record(action="training.course.create", actor=actor, unit=unit, obj=course,
                     after=_course_state(course))
    return course


def course_update(*, actor: AnyUser | None, course: Course,
                  data: Mapping[str, Any]) -> Course:
    merged = _course_state(course) | dict(data)
    _course_checked(merged)
    with transaction.atomic():
        _post_taken(course.election, merged.get("post") or "", exclude=course.pk)
        before = _course_state(course)
        for name in COURSE_FIELDS:
            if name in data:
                setattr(course, name, data[name] if data[name] is not None else "")
        course.save()
        audit_record(action="training.course.update", actor=actor, unit=course.unit,
                     obj=course, before=before, after=_course_state(course))
    return course


@dataclass
class QuestionData:
    text: str
    choices: list[str]
    correct: int  # counted from 1


def parse_questions(text: str) -> list[QuestionData]:
    """Questions as typed in one box: blocks separated by a blank line; the first line
    is the question, the others its choices; the correct choice starts with ``*``."""
    questions: list[QuestionData] = []
    for number, block in enumerate(
            [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()], start=1):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        question, correct = lines[0], 0
        choices: list[str] = []
        for line in lines[1:]:
            if line.startswith("*"):
                if correct:
                    raise RuleError(_("Question %(number)s marks more than one choice as "
                                      "correct."), code="two_correct", field="questions",
                                    number=number)
                correct = len(choices) + 1
                line = line[1:].strip()
            choices.append(line.lstrip("-").strip())
        if len(choices) < 2:
            raise RuleError(_("Question %(number)s needs at least two choices."),
                            code="few_choices", field="questions", number=number)
        if not correct:
            raise RuleError(_("Question %(number)s has no correct choice: start it with *."),
                            code="no_correct", field="questions", number=number)
        questions.append(QuestionData(normalize(question)[:500],
                                      [normalize(c)[:300] for c in choices], correct))
    return questions


def questions_text(course: Course) -> str:
    """The course's questions in the form ``parse_questions`` reads."""
    blocks = []
    for q in course.questions.all():
        lines = [q.text] + [("* " if i == q.correct else "- ") + c
                            for i, c in enumerate(q.choices, start=1)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def questions_replace(*, actor: AnyUser | None, course: Course,
                      questions: Sequence[QuestionData]) -> int:
    with transaction.atomic():
        course.questions.all().delete()
        Question.objects.bulk_create([
            Question(course=course, position=i, text=q.text, choices=q.choices,
                     correct=q.correct) for i, q in enumerate(questions, start=1)])
        audit_record(action="training.questions.replace", actor=actor, unit=course.unit,
                     obj=course, after={"questions": len(questions)})
    return len(questions)


# --- sessions -----------------------------------------------------------------------------


def _session_checked(data: Mapping[str, Any]) -> None:
    capacity = data.get("capacity")
    if capacity is not None and int(capacity) < 1:
        raise RuleError(_("A session has room for at least one person."), code="capacity",
                        field="capacity")


def _unit_in_course(course: Course, unit: AdminUnit) -> None:
    if not unit.path.startswith(course.unit.path):
        raise RuleError(_("%(unit)s is outside the area of the course (%(course_unit)s)."),
                        code="unit_outside", field="unit", unit=unit.name,
                        course_unit=course.unit.name)


def session_create(*, actor: AnyUser | None, course: Course, unit: AdminUnit,
                   data: Mapping[str, Any]) -> Session:
    _session_checked(data)
    _unit_in_course(course, unit)
    with transaction.atomic():
        session = Session.objects.create(course=course, unit=unit,
                                         **{k: data[k] for k in SESSION_FIELDS})
        audit_record(action="training.session.create", actor=actor, unit=unit, obj=session,
                     after={k: data[k] for k in SESSION_FIELDS} | {"course": course.pk})
    return session


def session_update(*, actor: AnyUser | None, session: Session,
                   data: Mapping[str, Any]) -> Session:
    _session_checked(data)
    if int(data.get("capacity", session.capacity)) < session.enrolled:
        raise RuleError(_("%(count)s people are enrolled; the capacity cannot be lower."),
                        code="capacity_below_enrolled", field="capacity",
                        count=session.enrolled)
    with transaction.atomic():
        before = {k: getattr(session, k) for k in SESSION_FIELDS}
        for name in SESSION_FIELDS:
            if name in data:
                setattr(session, name, data[name])
        try:
            with transaction.atomic():
                session.save(update_fields=list(SESSION_FIELDS))
        except IntegrityError:  # enrolments taken meanwhile: the database refuses
            raise RuleError(_("%(count)s people are enrolled; the capacity cannot be "
                              "lower."), code="capacity_below_enrolled", field="capacity",
                            count=Session.objects.get(pk=session.pk).enrolled) from None
        audit_record(action="training.session.update", actor=actor, unit=session.unit,
                     obj=session, before=before,
                     after={k: getattr(session, k) for k in SESSION_FIELDS})
    return session


# --- enrolment and attendance -------------------------------------------------------------


def _full(session: Session) -> RuleError:
    return RuleError(_("The session at %(place)s is full: %(capacity)s places, all taken."),
                     code="session_full", place=session.place, capacity=session.capacity)


def _take_place(session: Session) -> None:
    """One more place at the session; the database refuses it past the capacity."""
    try:
        with transaction.atomic():
            Session.objects.filter(pk=session.pk).update(enrolled=F("enrolled") + 1)
    except IntegrityError:
        raise _full(session) from None
    session.enrolled += 1


def _already(course: Course, national_id: str) -> RuleError:
    return RuleError(_("%(value)s is already enrolled on “%(title)s”."),
                     code="already_enrolled", field="national_id",
                     value=Digits(national_id), title=course.title)


# Asked for a person known to an app above (staffing: the county's register of people
# who serve) when an enrolment leaves the name or mobile empty: a receiver answers
# ``(full_name, mobile)`` for ``national_id`` registered in or under ``unit``, or None.
# Training cannot import those apps (the layer contract).
person_lookup = Signal()


def person_known(national_id: str, unit: AdminUnit) -> tuple[str, str] | None:
    """The name and mobile a register above keeps for ``national_id`` near ``unit``."""
    for _receiver, answer in person_lookup.send(sender=Enrolment, national_id=national_id,
                                                unit=unit):
        if isinstance(answer, tuple) and len(answer) == 2:
            return str(answer[0]), str(answer[1])
    return None


def enrol(*, actor: AnyUser | None, course: Course, session: Session | None = None,
          unit: AdminUnit | None = None, national_id: str, full_name: str = "",
          mobile: str = "") -> Enrolment:
    """Enrol one person on ``course`` (at ``session``, or self-paced at ``unit``).  A
    name or mobile left empty is taken from the staffing register of the place (the
    person's county) when the national ID is in it (``person_lookup``); a name is
    required otherwise."""
    nid = national_id_checked(national_id)
    where = session.unit if session is not None else (unit or course.unit)
    if not full_name.strip() or not mobile.strip():
        known = person_known(nid, where)
        if known is not None:
            full_name = full_name if full_name.strip() else known[0]
            mobile = mobile if mobile.strip() else known[1]
        elif not full_name.strip():
            raise RuleError(_("%(value)s is not in the staffing register here: enter the "
                              "person's full name."), code="name_needed", field="full_name",
                            value=Digits(nid))
    name = full_name_checked(full_name)
    phone = mobile_checked(mobile)
    if session is not None and session.course_id != course.pk:
        raise RuleError(_("The session is not one of this course's."), code="session_course")
    with transaction.atomic():
        if Enrolment.objects.filter(course=course, national_id=nid).exists():
            raise _already(course, nid)
        if session is not None:
            _take_place(session)
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    course=course, session=session, unit=where, national_id=nid,
                    full_name=name, mobile=phone, created_by=signed_in(actor))
        except IntegrityError:
            raise _already(course, nid) from None
        audit_record(action="training.enrolment.create", actor=actor, unit=where,
                     obj=enrolment, after={"course": course.pk,
                                           "session": session.pk if session else None})
    return enrolment


def session_held(session: Session) -> None:
    """Attendance and the completions it brings are facts of a session that has taken
    place: refused before the session starts (a session dated next month could otherwise
    make people "trained" for the staffing rule today)."""
    if session.starts_at > timezone.now():
        raise RuleError(_("This session has not started yet: attendance and completions "
                          "are recorded once it has started."), code="session_not_started")


def attendance_mark(*, actor: AnyUser | None, session: Session,
                    attended: Iterable[int]) -> int:
    """The session's checklist: exactly the enrolments in ``attended`` attended.
    Returns how many attended."""
    session_held(session)
    wanted = set(attended)
    now = timezone.now()
    with transaction.atomic():
        enrolments = list(session.enrolments.select_for_update())
        changed = [e for e in enrolments if e.attended != (e.pk in wanted)]
        for e in changed:
            e.attended = e.pk in wanted
            e.attended_at = now if e.attended else None
        Enrolment.objects.bulk_update(changed, ["attended", "attended_at"])
        count = sum(1 for e in enrolments if e.pk in wanted)
        audit_record(action="training.attendance.mark", actor=actor, unit=session.unit,
                     obj=session, after={"attended": count, "changed": len(changed)})
    return count


@dataclass
class AttendanceRow:
    line: int
    national_id: str
    full_name: str
    mobile: str = ""
    attended: bool = True
    problem: RuleError | None = None  # a cell the sheet reader could not read


@dataclass
class ImportResult:
    enrolled: int = 0
    attended: int = 0
    errors: list[tuple[int, RuleError]] = field(default_factory=list)


def attendance_import(*, actor: AnyUser | None, session: Session,
                      rows: Sequence[AttendanceRow]) -> ImportResult:
    """An attendance sheet, all or nothing: people not yet enrolled are enrolled at the
    session (within its capacity), and each row's attendance is set.  Any bad row:
    nothing is stored and every bad row is reported with its line."""
    session_held(session)
    result = ImportResult()
    course = session.course
    checked: list[tuple[AttendanceRow, str, str, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            if row.problem is not None:
                raise row.problem
            nid = national_id_checked(row.national_id)
            name = full_name_checked(row.full_name)
            phone = mobile_checked(row.mobile)
        except RuleError as error:
            result.errors.append((row.line, error))
            continue
        if nid in seen:
            result.errors.append((row.line, RuleError(
                _("%(value)s is on line %(first)s too."), code="duplicate_row",
                value=Digits(nid), first=seen[nid])))
            continue
        seen[nid] = row.line
        checked.append((row, nid, name, phone))
    if not checked and not result.errors:
        result.errors.append((0, RuleError(_("The sheet has no rows of people."),
                                           code="no_rows")))
    if result.errors:
        return result
    now = timezone.now()
    with transaction.atomic():
        existing = {e.national_id: e for e in
                    Enrolment.objects.select_for_update().filter(
                        course=course, national_id__in=list(seen))}
        new: list[Enrolment] = []
        joining = 0
        for row, nid, name, phone in checked:
            enrolment = existing.get(nid)
            if enrolment is not None and enrolment.session_id not in (None, session.pk):
                result.errors.append((row.line, RuleError(
                    _("%(value)s is enrolled at another session of this course."),
                    code="other_session", value=Digits(nid))))
                continue
            if enrolment is None:
                new.append(Enrolment(course=course, session=session, unit=session.unit,
                                     national_id=nid, full_name=name, mobile=phone,
                                     attended=row.attended,
                                     attended_at=now if row.attended else None,
                                     created_by=signed_in(actor)))
            else:
                if enrolment.session_id is None:
                    joining += 1  # a self-paced enrolment now takes a place here
                enrolment.session = session
                enrolment.attended = row.attended
                enrolment.attended_at = now if row.attended else None
                enrolment.save(update_fields=["session", "attended", "attended_at"])
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.enrolled + len(new) + joining > locked.capacity:
            result.errors.append((0, RuleError(
                _("The sheet adds %(new)s people to a session with %(free)s free places."),
                code="session_full", new=len(new) + joining, free=locked.free_places)))
        if result.errors:
            transaction.set_rollback(True)
            return result
        Enrolment.objects.bulk_create(new)
        Session.objects.filter(pk=session.pk).update(
            enrolled=F("enrolled") + len(new) + joining)
        result.enrolled = len(new)
        result.attended = sum(1 for row, *_rest in checked if row.attended)
        audit_record(action="training.attendance.import", actor=actor, unit=session.unit,
                     obj=session, after={"rows": len(checked), "enrolled": result.enrolled,
                                         "attended": result.attended})
    session.refresh_from_db()
    return result


# --- assessment and completion ------------------------------------------------------------


def _completion_unit(course: Course, national_id: str) -> AdminUnit:
    enrolment = (Enrolment.objects.select_related("unit")
                 .filter(course=course, national_id=national_id).first())
    return enrolment.unit if enrolment is not None else course.unit


def attempt_record(*, actor: AnyUser | None, course: Course, national_id: str,
                   full_name: str, answers: Sequence[int | None],
                   unit: AdminUnit | None = None) -> Attempt:
    """Score one assessment attempt (answers counted from 1, one per question in
    order); a pass at or above the course's pass mark completes the course. A name left
    empty is taken from the person's enrolment on the course or the staffing register of
    the place (``person_lookup``); a name is required otherwise (user review 2, F11)."""
    nid = national_id_checked(national_id)
    where = unit or _completion_unit(course, nid)
    if not full_name.strip():
        full_name = _known_name(course, nid, where)
    name = full_name_checked(full_name)
    questions = list(course.questions.all())
    if not questions:
        raise RuleError(_("“%(title)s” has no assessment questions yet."),
                        code="no_questions", title=course.title)
    if len(answers) != len(questions) or any(a is None for a in answers):
        raise RuleError(_("Answer every question."), code="unanswered", field="answers")
    right = sum(1 for q, a in zip(questions, answers, strict=True) if q.correct == a)
    score = round(100 * right / len(questions))
    passed = score >= course.pass_mark
    with transaction.atomic():
        attempt = Attempt.objects.create(course=course, unit=where, national_id=nid,
                                         full_name=name, answers=list(answers), score=score,
                                         passed=passed)
        audit_record(action="training.attempt.record", actor=actor, unit=where, obj=attempt,
                     after={"course": course.pk, "score": score, "passed": passed})
        if passed:
            _complete(actor=actor, course=course, people=[(nid, name)], score=score,
                      unit=where)
    return attempt


def _known_name(course: Course, nid: str, where: AdminUnit) -> str:
    """The name of an identified person: their enrolment on ``course``, else the register
    of the place; refused (asking for it) for anyone else."""
    enrolled = (Enrolment.objects.filter(course=course, national_id=nid)
                .values_list("full_name", flat=True).first())
    if enrolled:
        return str(enrolled)
    known = person_known(nid, where)
    if known is not None and known[0].strip():
        return known[0]
    raise RuleError(_("%(value)s is not in the staffing register here: enter the "
                      "person's full name."), code="name_needed", field="full_name",
                    value=Digits(nid))


def _complete(*, actor: AnyUser | None, course: Course, people: Sequence[tuple[str, str]],
              score: int | None, unit: AdminUnit | None = None) -> int:
    """Store completions for people not yet completed (checked IDs); one audit entry."""
    nids = [nid for nid, _name in people]
    done = set(Completion.objects.filter(course=course, national_id__in=nids)
               .values_list("national_id", flat=True))
    todo = [(nid, name) for nid, name in people if nid not in done]
    if not todo:
        return 0
    units = {e.national_id: e.unit for e in Enrolment.objects.select_related("unit")
             .filter(course=course, national_id__in=[n for n, _ in todo])}
    now = timezone.now()
    Completion.objects.bulk_create([
        Completion(course=course, unit=unit or units.get(nid, course.unit), national_id=nid,
                   full_name=name, score=score, completed_at=now,
                   created_by=signed_in(actor)) for nid, name in todo])
    audit_record(action="training.completion.record", actor=actor, unit=course.unit,
                 obj=course, after={"completed": len(todo), "score": score})
    return len(todo)


def record_completions(*, actor: AnyUser | None, course: Course,
                       people: Iterable[tuple[str, str]], score: int | None = None,
                       unit: AdminUnit | None = None) -> int:
    """Record that ``people`` ((national_id, full_name) pairs) completed ``course``:
    one audit entry for the lot; people who already completed it are left as they are.
    Returns how many completions were new.  A bad national ID or name refuses the whole
    call (RuleError), nothing stored.

    ``unit`` is where the people belong (a county's staff): their completions are kept
    there, in that county's reach. Without it, a person's enrolment's unit, else the
    course's (for a national course, out of every county's sight)."""
    checked: dict[str, str] = {}
    for nid, name in people:
        checked.setdefault(national_id_checked(nid), full_name_checked(name))
    if score is not None and not 0 <= score <= 100:
        raise RuleError(_("The score is a percentage from 0 to 100."), code="score",
                        field="score")
    with transaction.atomic():
        return _complete(actor=actor, course=course, people=list(checked.items()),
                         score=score, unit=unit)
