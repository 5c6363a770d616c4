"""Election pages: list, calendar, and changing a milestone date through the form."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.elections.models import Election, Milestone, MilestoneCode
from amanat.geo.models import Constituency
from amanat.lib.jalali import from_jalali

pytestmark = pytest.mark.django_db


def _fibre(election: Election) -> Milestone:
    return election.milestones.get(code=MilestoneCode.FIBRE_STATUS_DUE)


def _edit_url(milestone: Milestone) -> str:
    return reverse("elections:milestone_edit", args=[milestone.election.slug, milestone.pk])


def _calendar_url(election: Election) -> str:
    return reverse("elections:calendar", args=[election.slug])


def test_list_shows_elections_with_jalali_day(client: Client, example: Election, today: Any,
                                              outsider: Any) -> None:
    client.force_login(outsider)
    response = client.get("/elections/", HTTP_ACCEPT_LANGUAGE="fa")
    html = response.content.decode()
    assert response.status_code == 200
    assert example.name in html
    assert "۱۴ فروردین ۱۴۰۵" in html
    assert _calendar_url(example) in html


def test_list_empty(client: Client, outsider: Any) -> None:
    client.force_login(outsider)
    response = client.get("/elections/")
    assert response.status_code == 200
    assert 'data-testid="no-elections"' in response.content.decode()


def test_calendar_in_persian(client: Client, example: Election, today: Any,
                             outsider: Any) -> None:
    client.force_login(outsider)
    response = client.get(_calendar_url(example), HTTP_ACCEPT_LANGUAGE="fa")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("۱۴۰۴/۱۱/۱۴", "۱۴۰۴/۱۱/۳۰", "۱۴۰۵/۰۱/۱۴", "آغاز ثبت‌نام داوطلبان"):
        assert text in html
    for contest in example.contests.all():
        assert contest.name in html
    assert "1404/11/30" not in html
    # Today is pinned to 1404/11/20: the fibre deadline is 10 days ahead, registration
    # opened 6 days ago and closes today; there is no edit link for a non-staff reader.
    row = _row(html, MilestoneCode.FIBRE_STATUS_DUE)
    assert "۱۰" in row
    assert "۶" in _row(html, MilestoneCode.REGISTRATION_OPENS)
    assert "/edit/" not in html


def test_calendar_in_english_counts_days(client: Client, example: Election, today: Any,
                                         outsider: Any) -> None:
    client.force_login(outsider)
    client.cookies["django_language"] = "en"
    html = client.get(_calendar_url(example)).content.decode()
    assert "1404/11/30" in html
    assert "10 days remaining" in _row(html, MilestoneCode.FIBRE_STATUS_DUE)
    # A date behind us has passed; it is not "overdue" (a milestone is no task).
    assert "6 days ago" in _row(html, MilestoneCode.REGISTRATION_OPENS)
    assert "overdue" not in html
    assert "Due today" in _row(html, MilestoneCode.REGISTRATION_CLOSES)
    assert "in 53 days" in html  # to election day, 1405/01/14


def test_calendar_singular_and_today(client: Client, example: Election, outsider: Any,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: from_jalali(1404, 11, 29))
    client.force_login(outsider)
    client.cookies["django_language"] = "en"
    html = client.get(_calendar_url(example)).content.decode()
    assert "1 day remaining" in _row(html, MilestoneCode.FIBRE_STATUS_DUE)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: from_jalali(1404, 11, 30))
    html = client.get(_calendar_url(example)).content.decode()
    assert "Due today" in _row(html, MilestoneCode.FIBRE_STATUS_DUE)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: from_jalali(1405, 1, 15))
    html = client.get(_calendar_url(example)).content.decode()
    assert "1 day ago" in html


def test_pages_need_sign_in(client: Client, example: Election) -> None:
    for url in ("/elections/", _calendar_url(example)):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_calendar_unknown_slug_is_404(client: Client, outsider: Any) -> None:
    client.force_login(outsider)
    assert client.get("/elections/nope/").status_code == 404


def test_staff_sees_edit_links(client: Client, example: Election, staff: Any) -> None:
    sign_in(client, staff)
    html = client.get(_calendar_url(example)).content.decode()
    assert _edit_url(_fibre(example)) in html


def test_staff_saves_date_typed_in_persian_digits(
    client: Client, example: Election, staff: Any, today: Any
) -> None:
    sign_in(client, staff)
    fibre = _fibre(example)
    form_page = client.get(_edit_url(fibre), HTTP_ACCEPT_LANGUAGE="fa")
    assert 'value="۱۴۰۴/۱۱/۳۰"' in form_page.content.decode()

    response = client.post(_edit_url(fibre), {"due": "۱۴۰۴/۱۱/۲۵"}, HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 302
    assert response["Location"] == _calendar_url(example)
    fibre.refresh_from_db()
    assert fibre.due == from_jalali(1404, 11, 25) == datetime.date(2026, 2, 14)
    event = Event.objects.get(action="milestone.update")
    assert event.actor_name == staff.username
    assert event.object_id == str(fibre.pk)
    assert event.before == {"due": "2026-02-19"}
    assert event.after["due"] == "2026-02-14"

    html = client.get(_calendar_url(example), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "۱۴۰۴/۱۱/۲۵" in _row(html, MilestoneCode.FIBRE_STATUS_DUE)
    assert 'data-testid="message"' in html


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Enter a valid Jalali date such as 1404/10/21: "
               "day 30 does not exist in month 12 (Esfand) of 1404."),
        ("fa", "اسفند"),
    ],
)
def test_impossible_date_is_refused_and_changes_nothing(
    client: Client, example: Election, staff: Any, lang: str, expected: str
) -> None:
    sign_in(client, staff)
    client.cookies["django_language"] = lang
    fibre = _fibre(example)
    response = client.post(_edit_url(fibre), {"due": "1404/12/30"})
    html = response.content.decode()
    assert response.status_code == 200
    assert expected in html
    if lang == "fa":
        assert "۳۰" in _error(html) and "۱۴۰۴" in _error(html)
    assert 'value="1404/12/30"' in html  # what was typed is shown back to fix
    assert "is-invalid" in html
    fibre.refresh_from_db()
    assert fibre.due == from_jalali(1404, 11, 30)


def test_error_language_from_accept_language_header(
    client: Client, example: Election, staff: Any
) -> None:
    sign_in(client, staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the user chose English
    response = client.post(_edit_url(_fibre(example)), {"due": "1404/13/01"})
    assert "month 13 does not exist" in _error(response.content.decode())


def test_empty_date_is_refused(client: Client, example: Election, staff: Any) -> None:
    sign_in(client, staff)
    response = client.post(_edit_url(_fibre(example)), {"due": "  "})
    assert response.status_code == 200
    assert 'data-testid="error-due"' in response.content.decode()
    assert _fibre(example).due == from_jalali(1404, 11, 30)


def test_non_staff_is_denied_and_nothing_changes(
    client: Client, example: Election, outsider: Any
) -> None:
    client.force_login(outsider)
    fibre = _fibre(example)
    assert client.get(_edit_url(fibre)).status_code == 404
    assert client.post(_edit_url(fibre), {"due": "1404/11/01"}).status_code == 404
    assert _fibre(example).due == from_jalali(1404, 11, 30)


def test_anonymous_is_sent_to_log_in(client: Client, example: Election) -> None:
    fibre = _fibre(example)
    response = client.post(_edit_url(fibre), {"due": "1404/11/01"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert _fibre(example).due == from_jalali(1404, 11, 30)


def test_milestone_of_another_election_is_404(
    client: Client, example: Election, staff: Any
) -> None:
    other = Election.objects.create(name="other", slug="other",
                                    election_day=datetime.date(2028, 1, 1))
    sign_in(client, staff)
    url = reverse("elections:milestone_edit", args=[other.slug, _fibre(example).pk])
    assert client.get(url).status_code == 404


def test_query_counts_do_not_grow_with_rows(
    client: Client, example: Election, outsider: Any, today: Any
) -> None:
    client.force_login(outsider)
    urls = ["/elections/", _calendar_url(example)]
    client.get(urls[0])  # the first request of a session writes the session once
    before = [_count_queries(client, url) for url in urls]
    for i in range(5):
        Election.objects.create(name=f"e{i}", slug=f"e{i}",
                                election_day=datetime.date(2030, 1, i + 1))
        Milestone.objects.create(election=example, code=f"extra-{i}", name=f"m{i}",
                                 due=datetime.date(2026, 3, i + 1), phase="before")
        contest = example.contests.create(kind="parliament", name=f"c{i}")
        contest.constituencies.set(Constituency.objects.all())
    assert [_count_queries(client, url) for url in urls] == before


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _row(html: str, code: str) -> str:
    start = html.index(f'data-code="{code}"')
    return html[start:html.index("</tr>", start)]


def _error(html: str) -> str:
    start = html.index('data-testid="error-due"')
    return html[start:html.index("</div>", start)]
