"""Pages of the training app: courses, sessions with enrolment and attendance, the
assessment, completions with their certificates and exports (staff), and the public
awareness material and certificate verification (no account).

Views fetch through the scope helpers (``selectors``, ``accounts.access``): out of scope
is 404.  Writes go through ``services``.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amanat.accounts import personaldata, policy
from amanat.accounts.access import (
    access_denied_record,
    can,
    get_object_for_user,
    scope_paths,
    user_memberships,
)
from amanat.audit.services import audit_record
from amanat.core import ratelimit
from amanat.core.errors import RuleError
from amanat.core.identity import mask_national_id
from amanat.core.templatetags.persian import localize_digits
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.lib.limits import parse_id
from amanat.lib.persian import to_ascii_digits
from amanat.lib.tabular import write_table
from amanat.training import selectors, services
from amanat.training.forms import (
    AttemptForm,
    AttendanceImportForm,
    CompletionFilterForm,
    CourseFilterForm,
    CourseForm,
    PersonForm,
    QuestionsForm,
    SessionForm,
    VerifyForm,
)
from amanat.training.models import Completion, Course, Session, normalize_code
from amanat.training.pdf import certificate_pdf
from amanat.training.selectors import COMPLETION, COURSE, ENROLMENT, SESSION
from amanat.training.tabular import attendance_rows

MAX_IMPORT_BYTES = 5 * 1024 * 1024
PER_PAGE = 100
PERSONAL = "training.personaldata"


# --- helpers ------------------------------------------------------------------------------


def _require(request: HttpRequest, action: str, label: str) -> None:
    if not can(request.user, action, label, None):
        raise Http404("not found")


def _course(request: HttpRequest, course_id: Any, *, write: bool = False) -> Course:
    """A course the user reads (national ones too) or, with ``write``, may edit."""
    qs = (selectors.editable_courses(request.user) if write
          else selectors.visible_courses(request.user))
    course = qs.select_related("unit", "election").filter(pk=_pk(course_id)).first()
    if course is None:
        if Course.objects.filter(pk=_pk(course_id)).exists():
            access_denied_record(user=request.user, model_label=COURSE, pk=course_id,
                                 action=policy.CHANGE if write else policy.VIEW)
        raise Http404("not found")
    return course


def _pk(value: Any) -> int:
    return parse_id(value) or 0


def _session(request: HttpRequest, session_id: Any, *, action: str = policy.VIEW) -> Session:
    return get_object_for_user(
        request.user, Session, session_id, action=action,
        queryset=Session.objects.select_related("course", "course__unit", "course__election",
                                                "unit"))


def _units_for(request: HttpRequest, label: str, action: str, *,
               kinds: tuple[str, ...], within: AdminUnit | None = None) -> QuerySet[AdminUnit]:
    """Units of ``kinds`` where the user may ``action`` ``label`` (inside ``within``)."""
    paths = scope_paths(request.user, label, action)
    if not paths:
        return AdminUnit.objects.none()
    condition = under("path", paths[0])
    for path in paths[1:]:
        condition |= under("path", path)
    qs = AdminUnit.objects.filter(condition, kind__in=kinds)
    if within is not None:
        qs = qs.filter(under("path", within.path))
    return qs.order_by("path")


def _unmasked(request: HttpRequest, unit: AdminUnit | None) -> bool:
    return can(request.user, policy.VIEW, PERSONAL, unit)


def _election(request: HttpRequest) -> Election | None:
    return election_for_request(request)


def _form_error(form: Any, error: RuleError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- courses ------------------------------------------------------------------------------


@require_GET
def course_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, COURSE)
    election = _election(request)
    form = CourseFilterForm(request.GET or None)
    courses = selectors.course_list(request.user, election)
    if form.is_valid() and form.cleaned_data.get("audience"):
        courses = courses.filter(audience=form.cleaned_data["audience"])
    return render(request, "training/course_list.html", {
        "courses": courses, "form": form, "election": election,
        "can_create": can(request.user, policy.CREATE, COURSE, None)})


@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest) -> HttpResponse:
    _require(request, policy.CREATE, COURSE)
    election = _election(request)
    units = _units_for(request, COURSE, policy.CREATE,
                       kinds=(Kind.COUNTRY, Kind.PROVINCE, Kind.COUNTY))
    form = CourseForm(request.POST or None, units=units)
    if request.method == "POST" and election is None:
        form.add_error(None, _("There is no election yet."))
    if request.method == "POST" and form.is_valid() and election is not None:
        data = dict(form.cleaned_data)
        unit = data.pop("unit")
        try:
            course = services.course_create(actor=request.user, election=election, unit=unit,
                                            data=data)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The course was created."))
            return redirect("training:course", course_id=course.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("New course"), "cancel": reverse("training:courses")})


@require_GET
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    user = request.user
    sessions = selectors.sessions_for(user, course)
    can_edit = selectors.editable_courses(user).filter(pk=course.pk).exists()
    session_units = _units_for(request, SESSION, policy.CREATE, kinds=(Kind.COUNTY,),
                               within=course.unit)
    enrol_unit = _self_paced_unit(request, course)
    return render(request, "training/course_detail.html", {
        "course": course, "sessions": sessions, "can_edit": can_edit,
        "can_add_session": session_units.exists(),
        "questions": course.questions.count(),
        "enrolled": selectors.enrolments_for(user, course).count(),
        "completed": selectors.completions_for(user, course).count(),
        "enrol_form": PersonForm() if enrol_unit is not None
        and course.delivery == "self_paced" else None,
        "can_assess": enrol_unit is not None and course.questions.exists(),
    })


@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, write=True)
    initial = {name: getattr(course, name) for name in services.COURSE_FIELDS}
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(actor=request.user, course=course,
                                   data=dict(form.cleaned_data))
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The course was saved."))
            return redirect("training:course", course_id=course.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("Edit course"), "subtitle": course.title,
        "cancel": reverse("training:course", args=[course.pk])})


@require_http_methods(["GET", "POST"])
def questions_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, write=True)
    form = QuestionsForm(request.POST or None,
                         initial={"questions": services.questions_text(course)})
    if request.method == "POST" and form.is_valid():
        count = services.questions_replace(actor=request.user, course=course,
                                           questions=form.cleaned_data["questions"])
        messages.success(request, _("%(count)s questions saved.") % {"count": count})
        return redirect("training:course", course_id=course.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("Assessment questions"), "subtitle": course.title,
        "cancel": reverse("training:course", args=[course.pk])})


def _self_paced_unit(request: HttpRequest, course: Course) -> AdminUnit | None:
    """Where the user enrols people on a self-paced course: their own unit inside the
    course's area (or the course's unit when theirs is above it)."""
    allowed = policy.roles_allowed(ENROLMENT, policy.CREATE)
    for membership in user_memberships(request.user):
        if membership.role not in allowed:
            continue
        if membership.unit.path.startswith(course.unit.path):
            return membership.unit
        if course.unit.path.startswith(membership.unit.path):
            return course.unit
    return None


def _enrol_from_form(request: HttpRequest, **where: Any) -> None:
    """Enrol the person of the posted form (in a session, or self-paced at a unit); what
    happened is told in a message on the page the view goes back to."""
    form = PersonForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        return
    try:
        enrolment = services.enrol(actor=request.user, **where, **form.cleaned_data)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        # The name may come from the staffing register (the form's was left empty).
        messages.success(request, _("%(name)s was enrolled.") % {"name": enrolment.full_name})


@require_POST
def course_enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    unit = _self_paced_unit(request, course)
    if unit is None:
        raise Http404("not found")
    _enrol_from_form(request, course=course, unit=unit)
    return redirect("training:course", course_id=course.pk)


@require_http_methods(["GET", "POST"])
def assessment(request: HttpRequest, course_id: int) -> HttpResponse:
    """Staff record a person's answers to the course's assessment."""
    course = _course(request, course_id)
    unit = _self_paced_unit(request, course)
    if unit is None:
        raise Http404("not found")
    questions = list(course.questions.all())
    form = AttemptForm(request.POST or None, questions=questions)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.attempt_record(
                actor=request.user, course=course, unit=unit,
                national_id=form.cleaned_data["national_id"],
                full_name=form.cleaned_data["full_name"], answers=form.answers())
        except RuleError as error:
            _form_error(form, error)
        else:
            form = AttemptForm(questions=questions)
    return render(request, "training/assessment.html", {
        "course": course, "form": form, "result": result, "questions": questions})


# --- sessions -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    units = _units_for(request, SESSION, policy.CREATE, kinds=(Kind.COUNTY,),
                       within=course.unit)
    if not units.exists():
        raise Http404("not found")
    form = SessionForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(actor=request.user, course=course,
                                               unit=form.cleaned_data["unit"],
                                               data=form.service_data())
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The session was added."))
            return redirect("training:session", session_id=session.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("New session"), "subtitle": course.title,
        "cancel": reverse("training:course", args=[course.pk])})


@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    """A session's attendance sheet: national IDs and mobiles masked; the training staff
    show them with a POST (``reveal``), recorded (accounts.personaldata)."""
    session = _session(request, session_id)
    user, unit = request.user, session.unit
    can_change = can(user, policy.CHANGE, ENROLMENT, unit)
    shown = personaldata.reveal(request, allowed=_unmasked(request, unit),
                                action="training.session.read", unit=unit, obj=session)
    enrolments = list(session.enrolments.all())
    for e in enrolments:
        e.shown_national_id = shown.national_id(e.national_id)  # type: ignore[attr-defined]
        e.shown_mobile = shown.mobile(e.mobile)  # type: ignore[attr-defined]
    return render(request, "training/session_detail.html", {
        "session": session, "course": session.course,
        "enrolments": enrolments, "shown": shown,
        "reveal_label": _("Show the national IDs and mobiles (recorded)"),
        "can_edit": can(user, policy.CHANGE, SESSION, unit),
        "enrol_form": PersonForm() if can(user, policy.CREATE, ENROLMENT, unit)
        and session.free_places else None,
        "can_change": can_change,
        "can_complete": can(user, policy.CREATE, COMPLETION, unit)
        and not session.course.questions.exists(),
        "can_export": can(user, policy.EXPORT, ENROLMENT, unit),
    })


@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id, action=policy.CHANGE)
    form = SessionForm(request.POST or None, initial=SessionForm.initial_for(session))
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(actor=request.user, session=session,
                                    data=form.service_data())
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The session was saved."))
            return redirect("training:session", session_id=session.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("Edit session"), "subtitle": session.course.title,
        "cancel": reverse("training:session", args=[session.pk])})


@require_POST
def session_enrol(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if not can(request.user, policy.CREATE, ENROLMENT, session.unit):
        access_denied_record(user=request.user, model_label=SESSION, pk=session.pk,
                             action=policy.CREATE)
        raise Http404("not found")
    _enrol_from_form(request, course=session.course, session=session)
    return redirect("training:session", session_id=session.pk)


@require_POST
def session_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if not can(request.user, policy.CHANGE, ENROLMENT, session.unit):
        access_denied_record(user=request.user, model_label=SESSION, pk=session.pk,
                             action=policy.CHANGE)
        raise Http404("not found")
    ids = [k for k in (parse_id(v) for v in request.POST.getlist("attended")) if k]
    try:
        count = services.attendance_mark(actor=request.user, session=session, attended=ids)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Attendance saved: %(count)s attended.")
                         % {"count": localize_digits(str(count))})
    return redirect("training:session", session_id=session.pk)


@require_http_methods(["GET", "POST"])
def session_import(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if not can(request.user, policy.CHANGE, ENROLMENT, session.unit):
        access_denied_record(user=request.user, model_label=SESSION, pk=session.pk,
                             action=policy.CHANGE)
        raise Http404("not found")
    form = AttendanceImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_IMPORT_BYTES:
                raise RuleError(_("The file is too large."), code="too_large", field="file")
            notes: list[RuleError] = []
            rows = attendance_rows(upload.read(), upload.name, notes)
            for note in notes:  # how the file was read (hidden rows, an encoding guess)
                messages.warning(request, note.message)
            result = services.attendance_import(actor=request.user, session=session,
                                                rows=rows)
        except RuleError as error:
            _form_error(form, error)
        else:
            problems = result.errors
            if problems:
                errors = [(_("Line %(line)s: %(error)s")
                           % {"line": localize_digits(str(line)), "error": e.message})
                          if line else e.message for line, e in problems]
                form.add_error(None, _("Nothing was stored; correct the lines below."))
            else:
                messages.success(request, _("Attendance imported: %(enrolled)s enrolled, "
                                            "%(attended)s attended.")
                                 % {"enrolled": localize_digits(str(result.enrolled)),
                                    "attended": localize_digits(str(result.attended))})
                return redirect("training:session", session_id=session.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("Import the attendance sheet"),
        "subtitle": f"{session.course.title} — {session.place}", "multipart": True,
        "errors": errors, "cancel": reverse("training:session", args=[session.pk])})


@require_POST
def session_complete(request: HttpRequest, session_id: int) -> HttpResponse:
    """Completion by attendance (a course without an assessment): everyone who attended
    the session completes the course."""
    session = _session(request, session_id)
    if not can(request.user, policy.CREATE, COMPLETION, session.unit):
        access_denied_record(user=request.user, model_label=SESSION, pk=session.pk,
                             action=policy.CREATE)
        raise Http404("not found")
    try:
        services.session_held(session)
    except RuleError as error:
        messages.error(request, error.message)
        return redirect("training:session", session_id=session.pk)
    if session.course.questions.exists():
        messages.error(request, _("This course has an assessment: people complete it by "
                                  "passing the assessment."))
    else:
        people = [(e.national_id, e.full_name)
                  for e in session.enrolments.filter(attended=True)]
        count = services.record_completions(actor=request.user, course=session.course,
                                            people=people)
        messages.success(request, _("%(count)s new completions recorded.") % {"count": count})
    return redirect("training:session", session_id=session.pk)


# --- completions, certificates and exports ------------------------------------------------


@require_GET
def completions(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    _require(request, policy.VIEW, COMPLETION)
    found = selectors.completions_for(request.user, course)
    form = CompletionFilterForm(request.GET or None)
    query = ""
    if form.is_valid() and form.cleaned_data["q"]:
        q = to_ascii_digits(form.cleaned_data["q"])
        query = urlencode({"q": q})
        if any(ch.isdigit() for ch in q):
            # By the whole national ID only: the list masks it.
            found = found.filter(national_id="".join(ch for ch in q if ch.isdigit()))
        else:
            for word in q.split():
                found = found.filter(full_name__icontains=word)
    page = Paginator(found.order_by("full_name", "pk"), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "training/completions.html", {
        "course": course, "page": page, "form": form, "query": query,
        "can_export": can(request.user, policy.EXPORT, COMPLETION, None),
        # A list read by GET records nothing: masked for everyone (an export is recorded).
        "rows": [(c, mask_national_id(c.national_id)) for c in page],
    })


def _verify_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("training_verify")) + f"?code={code}"


@require_POST
def certificate(request: HttpRequest, completion_id: int) -> FileResponse:
    completion = get_object_for_user(
        request.user, Completion, completion_id,
        queryset=Completion.objects.select_related("course", "course__election", "unit"))
    audit_record(action="training.certificate.download", actor=request.user,
                 unit=completion.unit, obj=completion)
    pdf = certificate_pdf(completion, verify_url=_verify_url(request, completion.code))
    return FileResponse(io.BytesIO(pdf), content_type="application/pdf",
                        filename=f"certificate-{completion.code}.pdf")


EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _mask(value: str, unmasked: bool) -> str:
    return value if unmasked else mask_national_id(value)


@require_POST
def completions_export(request: HttpRequest, course_id: int, fmt: str) -> HttpResponse:
    course = _course(request, course_id)
    if fmt not in EXPORT_FORMATS or not can(request.user, policy.EXPORT, COMPLETION, None):
        raise Http404("not found")
    rows = list(selectors.completions_for(request.user, course))
    headers = [_("National ID"), _("Full name"), _("Score"), _("Completed"),
               _("Verification code"), _("Unit")]
    table = [[_mask(c.national_id, _unmasked(request, c.unit)), c.full_name, c.score,
              c.completed_at.date(), c.code, c.unit.name] for c in rows]
    audit_record(action="training.completions.export", actor=request.user,
                 unit=course.unit, obj=course, extra={"rows": len(table), "format": fmt})
    return _table_response(headers, table, fmt, f"completions-{course.pk}")


@require_POST
def session_export(request: HttpRequest, session_id: int, fmt: str) -> HttpResponse:
    session = _session(request, session_id)
    if fmt not in EXPORT_FORMATS or not can(request.user, policy.EXPORT, ENROLMENT,
                                            session.unit):
        raise Http404("not found")
    unmasked = _unmasked(request, session.unit)
    headers = [_("National ID"), _("Full name"), _("Mobile number"), _("Attended")]
    table = [[_mask(e.national_id, unmasked), e.full_name,
              e.mobile if unmasked else "", _("yes") if e.attended else _("no")]
             for e in session.enrolments.all()]
    audit_record(action="training.attendance.export", actor=request.user, unit=session.unit,
                 obj=session, extra={"rows": len(table), "format": fmt})
    return _table_response(headers, table, fmt, f"session-{session.pk}")


def _table_response(headers: list[str], rows: list[list[Any]], fmt: str,
                    name: str) -> HttpResponse:
    buffer = io.BytesIO()
    write_table(buffer, headers, rows, format=fmt,  # type: ignore[arg-type]
                sheet_title=name[:31])
    response = HttpResponse(buffer.getvalue(), content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- public pages (no account) ------------------------------------------------------------


@login_not_required
@require_GET
def public_courses(request: HttpRequest) -> HttpResponse:
    election = Election.objects.current()
    return render(request, "training/public_courses.html", {
        "courses": selectors.public_courses(election), "election": election})


@login_not_required
@require_GET
def public_course(request: HttpRequest, course_id: int) -> HttpResponse:
    course = Course.objects.public().select_related("election").filter(
        pk=_pk(course_id)).first()
    if course is None:
        raise Http404("not found")
    return render(request, "training/public_course.html", {"course": course})


@login_not_required
@require_GET
@ratelimit.public_lookup("training-verify")
def verify(request: HttpRequest) -> HttpResponse:
    """Check a certificate's code: only the holder's name (partly masked), the course
    and the date are shown."""
    form = VerifyForm(request.GET or None)
    found: Completion | None = None
    checked = False
    if form.is_bound and form.is_valid():
        checked = True
        found = selectors.completion_by_code(normalize_code(form.cleaned_data["code"]))
    return render(request, "training/verify.html", {
        "form": form, "checked": checked, "found": found,
        "masked_name": selectors.mask_name(found.full_name) if found else ""})
