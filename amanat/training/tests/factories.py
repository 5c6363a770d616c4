"""Rows for the URL walk (accounts/tests/test_url_walk.py): a national course with an
assessment, a Gharchak county course, a public voters' course, a session and a
completion in Gharchak and in Kerman.  Made once per election."""

from __future__ import annotations

import datetime
from typing import Any

from amanat.elections.models import Election
from amanat.lib.nationalid import with_check_digit
from amanat.training import services
from amanat.training.models import Completion, Course, Session


def walk_rows(election: Election, geo: Any) -> dict[str, list[Any]]:
    if not Course.objects.filter(election=election, title="walk national").exists():
        national = services.course_create(
            actor=None, election=election, unit=geo.iran,
            data={"audience": "station_staff", "post": "inspector", "title": "walk national"})
        services.questions_replace(actor=None, course=national,
                                   questions=services.parse_questions("Q\n* a\n- b"))
        services.course_create(actor=None, election=election, unit=geo.gharchak,
                               data={"audience": "security", "title": "walk county"})
        services.course_create(actor=None, election=election, unit=geo.iran,
                               data={"audience": "voters", "title": "walk public",
                                     "public": True})
        start = datetime.datetime(2026, 5, 1, 9, tzinfo=datetime.UTC)
        for i, county in enumerate((geo.gharchak, geo.kerman_county)):
            session = services.session_create(
                actor=None, course=national, unit=county,
                data={"place": f"walk {i}", "trainer": "t", "capacity": 10,
                      "starts_at": start})
            nid = with_check_digit(f"{330_000_000 + i:09d}")
            services.enrol(actor=None, course=national, session=session, national_id=nid,
                           full_name=f"walk person {i}")
            services.record_completions(actor=None, course=national,
                                        people=[(nid, f"walk person {i}")])
    courses = list(Course.objects.filter(election=election, title__startswith="walk")
                   .select_related("unit"))
    return {
        "courses": courses,
        "public": [c for c in courses if c.public],
        "sessions": list(Session.objects.filter(course__election=election)
                         .select_related("unit")),
        "completions": list(Completion.objects.filter(course__election=election)
                            .select_related("unit")),
    }
