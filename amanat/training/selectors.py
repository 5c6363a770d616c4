"""Reads of training for this app's pages and for the apps above it (staffing, the
candidate's dossier, the portal).

The interface for other apps (issue 14), kept stable:

* ``course_for_post(election, post)``: the course that qualifies for a station post.
* ``passed_national_ids(election=, post=, national_ids=)``: who completed it.
* ``candidate_course_status(election=, national_id=)``: "passed", "enrolled" or "none".
* ``post_course_status(election=, post=, national_id=)``: the same for a post's course
  (or "no_course"); both shown by ``training/_status.html``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, scope_paths, scope_queryset
from amanat.elections.models import Election
from amanat.geo.paths import under
from amanat.lib.nationalid import normalize_national_id
from amanat.training.models import (
    Audience,
    Completion,
    Course,
    Enrolment,
    Session,
)

COURSE = "training.course"
SESSION = "training.session"
ENROLMENT = "training.enrolment"
COMPLETION = "training.completion"

# National IDs looked up per query (SQLite's variable limit is far above; PostgreSQL
# has none that matters): a long list is read in chunks.
_CHUNK = 900


# --- the interface for the apps above -------------------------------------------------------


def course_for_post(election: Election, post: str) -> Course | None:
    """The course a person must complete before serving in ``post`` (a
    ``StationPost`` value) in ``election``, or None when the election has none."""
    if not post:
        return None
    return Course.objects.filter(election=election, post=post).first()


def passed_national_ids(*, election: Election, post: str,
                        national_ids: Iterable[str] | None = None) -> set[str]:
    """National IDs that completed the course required for ``post``; only among
    ``national_ids`` when given.  No course for the post: nobody has passed it."""
    course = course_for_post(election, post)
    if course is None:
        return set()
    base = Completion.objects.filter(course=course)
    if national_ids is None:
        return set(base.values_list("national_id", flat=True))
    wanted = sorted({normalize_national_id(n) for n in national_ids if n})
    passed: set[str] = set()
    for i in range(0, len(wanted), _CHUNK):
        passed.update(base.filter(national_id__in=wanted[i:i + _CHUNK])
                      .values_list("national_id", flat=True))
    return passed


def post_course_status(*, election: Election, post: str, national_id: str) -> str:
    """Where a person stands with the course required for ``post`` in ``election``:
    "passed", "enrolled" (not yet passed), "none" (not enrolled), or "no_course" (the
    election has no course for the post yet). The words are ``training/_status.html``'s."""
    course = course_for_post(election, post)
    if course is None:
        return "no_course"
    nid = normalize_national_id(national_id)
    if Completion.objects.filter(course=course, national_id=nid).exists():
        return "passed"
    if Enrolment.objects.filter(course=course, national_id=nid).exists():
        return "enrolled"
    return "none"


def candidate_course_status(*, election: Election, national_id: str) -> str:
    """Where a candidate stands with the candidates' course of ``election``:
    "passed" (a completion of any candidates' course), "enrolled", or "none"."""
    nid = normalize_national_id(national_id)
    courses = Course.objects.filter(election=election, audience=Audience.CANDIDATES)
    if Completion.objects.filter(course__in=courses, national_id=nid).exists():
        return "passed"
    if Enrolment.objects.filter(course__in=courses, national_id=nid).exists():
        return "enrolled"
    return "none"


# --- scope for this app's pages ------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    segments = path.split("/")[:-1]
    return ["/".join(segments[:i]) + "/" for i in range(1, len(segments))]


def visible_courses(user: AnyUser) -> QuerySet[Course]:
    """Courses the user reads: those given in their scope, and the national or
    provincial courses above it (read-only for them)."""
    paths = scope_paths(user, COURSE, policy.VIEW)
    if not paths:
        return Course.objects.none()
    condition = Q()
    for path in paths:
        condition |= under("unit__path", path) | Q(unit__path__in=_ancestor_paths(path))
    return Course.objects.filter(condition)


def editable_courses(user: AnyUser) -> QuerySet[Course]:
    """Courses the user may edit: only those given at a unit in their scope."""
    return scope_queryset(user, Course.objects.all(), action=policy.CHANGE,
                          model_label=COURSE)


def course_list(user: AnyUser, election: Election | None) -> QuerySet[Course]:
    qs = visible_courses(user).select_related("unit")
    if election is not None:
        qs = qs.filter(election=election)
    return qs.annotate(n_sessions=Count("sessions", distinct=True))


def sessions_for(user: AnyUser, course: Course) -> QuerySet[Session]:
    return scope_queryset(user, course.sessions.select_related("unit"), action=policy.VIEW,
                          model_label=SESSION)


def enrolments_for(user: AnyUser, course: Course) -> QuerySet[Enrolment]:
    return scope_queryset(user, course.enrolments.select_related("unit", "session"),
                          action=policy.VIEW, model_label=ENROLMENT)


def completions_for(user: AnyUser, course: Course) -> QuerySet[Completion]:
    return scope_queryset(user, course.completions.select_related("unit"),
                          action=policy.VIEW, model_label=COMPLETION)


def public_courses(election: Election | None) -> QuerySet[Course]:
    qs = Course.objects.public()
    if election is not None:
        qs = qs.filter(election=election)
    return qs.order_by("audience", "title", "pk")


def completion_by_code(code: str) -> Completion | None:
    if not code:
        return None
    return Completion.objects.select_related("course").filter(code=code).first()


def mask_name(full_name: str) -> str:
    """A name as the public verification page shows it: the first word whole, the
    others by their first letter (the holder recognises it; a stranger learns little)."""
    words = full_name.split()
    return " ".join([*words[:1], *(w[0] + "…" for w in words[1:])])
