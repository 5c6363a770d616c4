"""The officials' election-day pages after the user review of 2026-12 (branch ckdash):
the data's time as the page shows it (F5), the station search (F25), window labels and
posts in Persian (F12, F16), the windows page's times typed in Persian digits and its
confirmation (F24)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from amanat.core.templatetags.persian import jdate
from amanat.lib.persian import to_persian_digits
from amanat.plans.tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _data(client: Any, unit: Any, day: Any) -> dict[str, Any]:
    url = reverse("operations:dashboard_data", args=[unit.pk]) + f"?election={day.election.slug}"
    response = client.get(url)
    assert response.status_code == 200
    return dict(response.json())


def test_the_data_time_is_shown_in_tehran_time_jalali_persian(day: Any, personas: Any,
                                                               small_geo: Any) -> None:
    client = client_for(personas.admin)
    data = _data(client, small_geo.iran, day)
    moment = timezone.localtime(datetime.datetime.fromisoformat(data["at"]))
    assert moment.utcoffset() == datetime.timedelta(hours=3, minutes=30)
    expected = to_persian_digits(jdate(moment) + " " + moment.strftime("%H:%M:%S"))
    assert data["at_shown"] == expected
    # The page carries the same words on load (it showed UTC, then the browser's time).
    page = client.get(reverse("operations:dashboard") + f"?election={day.election.slug}")
    assert 'data-testid="ops-updated"' in page.content.decode()
    assert page.context["data"]["at_shown"].startswith(to_persian_digits(jdate(moment)))


def test_the_data_time_refused_out_of_scope(day: Any, personas: Any, small_geo: Any) -> None:
    client = client_for(personas.gharchak_governor)
    url = reverse("operations:dashboard_data", args=[small_geo.kerman_county.pk])
    assert client.get(url + f"?election={day.election.slug}").status_code == 404


# -- F25: the station search ------------------------------------------------------

def _find(client: Any, day: Any, text: str) -> Any:
    return client.get(reverse("operations:station_search"),
                      {"q": text, "election": day.election.slug})


def test_the_search_takes_an_inspector_to_their_station(day: Any, personas: Any) -> None:
    client = client_for(personas.inspector)
    station_day = reverse("operations:station_day", args=[day.gharchak_station.pk])
    for typed in ("0042", "۰۰۴۲", " ٠٠٤٢ "):  # Latin, Persian, Arabic-Indic digits
        response = _find(client, day, typed)
        assert response.status_code == 302, typed
        assert response["Location"] == station_day
    # A part of the code or the name: the only match, straight to it.
    name = day.gharchak_station.name
    assert _find(client, day, name[: max(3, len(name) // 2)])["Location"] == station_day
    # The dashboard and the station's day carry the search box.
    for url in (reverse("operations:dashboard") + f"?election={day.election.slug}", station_day):
        page = client.get(url).content.decode()
        assert 'data-testid="station-search"' in page
        assert reverse("operations:station_search") in page


def test_the_search_never_lists_a_station_out_of_scope(day: Any, personas: Any) -> None:
    client = client_for(personas.inspector)  # Gharchak only
    response = _find(client, day, day.kerman_station.code)
    assert response.status_code == 200
    assert 'data-testid="search-none"' in response.content.decode()
    assert day.kerman_station.name not in response.content.decode()
    # Nothing typed: the box only.
    empty = _find(client, day, "")
    assert empty.status_code == 200
    assert 'data-testid="search-result"' not in empty.content.decode()


def test_the_search_lists_several_and_the_national_admin_sees_all(day: Any,
                                                                  personas: Any) -> None:
    client = client_for(personas.admin)
    response = _find(client, day, "00")  # both codes: 0042, 0007
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="search-result"') == 2
    assert reverse("operations:station_day", args=[day.kerman_station.pk]) in page


def test_the_search_is_refused_without_election_day_access(day: Any, personas: Any) -> None:
    client = client_for(personas.outsider)
    assert _find(client, day, "0042").status_code == 404


# -- F12, F16: window labels and posts in the reader's language -------------------

def _open_now(day: Any, *codes: str) -> None:
    from amanat.operations.models import Window

    now = timezone.now()
    Window.objects.filter(election=day.election, code__in=codes).update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))


def test_window_labels_are_persian_on_persian_pages(day: Any, personas: Any) -> None:
    client = client_for(personas.admin)
    page = client.get(reverse("operations:windows") + f"?election={day.election.slug}")
    text = page.content.decode()
    assert "سراسر روز" in text and "بستن صندوق" in text
    assert "all day" not in text and ">closing<" not in text
    assert "۰۷:۰۰" in text and "07:00" not in text
    # The check-in form offers the open windows by their Persian labels.
    _open_now(day, "I", "T1")
    form = client.get(reverse("operations:checkin", args=[day.gharchak_station.pk])).content
    assert "رخداد · سراسر روز" in form.decode()
    assert "۱۰:۰۰" in form.decode() and "all day" not in form.decode()
    # The times form names them in Persian too.
    edit = client.get(reverse("operations:windows_edit") + f"?election={day.election.slug}")
    assert "سراسر روز" in edit.content.decode() and "all day" not in edit.content.decode()


def test_a_refusal_names_the_window_in_the_readers_language(day: Any) -> None:
    from django.utils import translation

    from amanat.core.errors import RuleError
    from amanat.operations import services

    far = timezone.now() + datetime.timedelta(days=400)
    with pytest.raises(RuleError) as refused:
        services.window_for(day.election, "I", far)
    assert "سراسر روز" in refused.value.render("fa")
    assert "all day" in refused.value.render("en")
    with translation.override("fa"):
        assert "all day" not in refused.value.message


def test_posts_are_named_in_persian_on_the_station_day(day: Any, personas: Any) -> None:
    from amanat.operations import services
    from amanat.operations.models import Window
    from amanat.operations.services import Values

    _open_now(day, "O")
    services.checkin_record(station=day.gharchak_station,
                            window=Window.objects.get(election=day.election, code="O"),
                            values=Values(staff={"representative": 1, "member": 5},
                                          materials=True, cameras=True, network=True),
                            source="web", actor=personas.inspector)
    client = client_for(personas.inspector)
    page = client.get(reverse("operations:station_day", args=[day.gharchak_station.pk]))
    text = page.content.decode()
    assert "نماینده" in text and "۵" in text
    assert "representative" not in text and "member ۵" not in text


# -- F24: times in Persian digits; confirmation before moving an open window ---------

def _times_post(day: Any, **changes: tuple[str, str]) -> dict[str, str]:
    from amanat.operations.models import Window

    data = {"silent_after_minutes": "۶۰", "escalate_after_minutes": "30"}
    for window in Window.objects.filter(election=day.election):
        opens, closes = changes.get(window.code, (
            timezone.localtime(window.opens_at).strftime("%H:%M"),
            timezone.localtime(window.closes_at).strftime("%H:%M")))
        data[f"w{window.pk}_opens"], data[f"w{window.pk}_closes"] = opens, closes
    return data


def _edit_url(day: Any) -> str:
    return reverse("operations:windows_edit") + f"?election={day.election.slug}"


def test_times_typed_in_persian_or_arabic_digits_are_saved(day: Any, personas: Any) -> None:
    from amanat.operations.models import Window

    client = client_for(personas.admin)
    page = client.get(_edit_url(day)).content.decode()
    assert 'value="۰۶:۳۰"' in page  # shown in the page's digits
    response = client.post(_edit_url(day), _times_post(
        day, O=("۰۶:۱۵", "٠٩:٠٠"), T1=("۰۹٫۴۵", "10:45")))
    assert response.status_code == 302, response.content.decode()[:2000]
    opening = Window.objects.get(election=day.election, code="O")
    assert timezone.localtime(opening.opens_at).strftime("%H:%M") == "06:15"
    assert timezone.localtime(opening.closes_at).strftime("%H:%M") == "09:00"
    # A time that is not one is still refused, nothing stored.
    refused = client.post(_edit_url(day), _times_post(day, O=("۲۵:۰۰", "09:00")))
    assert refused.status_code == 200
    opening.refresh_from_db()
    assert timezone.localtime(opening.opens_at).strftime("%H:%M") == "06:15"


def test_moving_an_open_window_asks_for_confirmation_first(day: Any, personas: Any) -> None:
    from amanat.audit.models import Event
    from amanat.operations.models import Window

    _open_now(day, "T1")
    before = Window.objects.get(election=day.election, code="T1")
    client = client_for(personas.admin)
    # The real times put the 10:00 turnout on election day (in the past): it would close.
    data = _times_post(day, T1=("09:45", "10:45"))
    asked = client.post(_edit_url(day), data)
    assert asked.status_code == 200
    text = asked.content.decode()
    assert 'data-testid="windows-confirm"' in text
    assert text.count('data-testid="windows-moved"') == 1
    assert "۱۰:۰۰" in text
    after = Window.objects.get(pk=before.pk)
    assert (after.opens_at, after.closes_at) == (before.opens_at, before.closes_at)
    assert not Event.objects.filter(action="operations.windows.update").exists()
    # Confirmed: saved.
    saved = client.post(_edit_url(day), {**data, "confirm": "1"})
    assert saved.status_code == 302
    after.refresh_from_db()
    assert timezone.localtime(after.opens_at).strftime("%H:%M") == "09:45"
    assert Event.objects.filter(action="operations.windows.update").count() == 1
    # With no window open now, a change needs no confirmation.
    unchanged = client.post(_edit_url(day), _times_post(day, O=("06:45", "09:00")))
    assert unchanged.status_code == 302


def test_only_national_administrators_change_the_times(day: Any, personas: Any) -> None:
    from amanat.operations.models import Window

    client = client_for(personas.gharchak_governor)
    response = client.post(_edit_url(day), {**_times_post(day, O=("۰۶:۱۵", "09:00")),
                                            "confirm": "1"})
    assert response.status_code == 404
    opening = Window.objects.get(election=day.election, code="O")
    assert timezone.localtime(opening.opens_at).strftime("%H:%M") == "06:30"
