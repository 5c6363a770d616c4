"""User review 2 of election day (docs/reviews/2026-12-user2-operations.md): the fixes,
through the pages, the API and the commands."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amanat.accounts.testing import sign_in
from amanat.intake.tests.conftest import group_commit  # noqa: F401  (a fixture)
from amanat.intake.tests.test_checkins import field  # noqa: F401  (a fixture)
from amanat.operations.models import DaySettings, Window
from amanat.operations.services import day_settings

pytestmark = pytest.mark.django_db


def client_for(user: Any, language: str = "fa") -> Client:
    client = Client()
    sign_in(client, user)
    client.cookies["django_language"] = language
    return client


def _times() -> dict[str, tuple[Any, Any]]:
    return {w.code: (w.opens_at, w.closes_at) for w in Window.objects.all()}


def _simulate(day: Any) -> None:
    DaySettings.objects.filter(pk=day_settings(day.election).pk).update(simulation_allowed=True)
    call_command("simulate_election_day", "--election", day.election.slug, "--start-in", "0",
                 "--minutes", "0.05", "--silent", "0", stdout=io.StringIO(),
                 stderr=io.StringIO())


def _edit_post(day: Any, silent: str) -> dict[str, str]:
    """The edit form as the page shows it (the times untouched), the quiet period changed."""
    data = {"silent_after_minutes": silent, "escalate_after_minutes": "30"}
    for window in Window.objects.filter(election=day.election):
        data[f"w{window.pk}_opens"] = timezone.localtime(window.opens_at).strftime("%H:%M")
        data[f"w{window.pk}_closes"] = timezone.localtime(window.closes_at).strftime("%H:%M")
    return data


# -- F1: the windows page after a simulation ------------------------------------------

def test_saving_the_windows_of_a_simulated_day_is_refused_and_the_restore_kept(
        day: Any, personas: Any) -> None:
    real = _times()
    _simulate(day)
    simulated = _times()
    assert simulated != real
    admin = client_for(personas.admin)
    edit = reverse("operations:windows_edit") + f"?election={day.election.slug}"
    page = admin.get(edit).content.decode()
    # The edit page says the day is simulated and offers the restore there too.
    assert 'data-testid="simulated"' in page and 'data-testid="windows-restore"' in page

    # Changing only the quiet period: refused with the reason, nothing moved.
    answer = admin.post(edit, _edit_post(day, "5"))
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "روز شبیه‌سازی‌شده" in text and "بازگردانید" in text
    assert _times() == simulated
    assert day_settings(day.election).silent_after_minutes != 5

    # The real day can still be put back, and then the times are saved as before.
    assert admin.post(edit, {"restore": "1"}).status_code == 302
    assert _times() == real
    assert admin.post(edit, _edit_post(day, "45")).status_code == 302
    assert day_settings(day.election).silent_after_minutes == 45
    assert _times() == real


def test_the_service_refuses_a_simulated_day_in_english_too(day: Any, personas: Any) -> None:
    _simulate(day)
    admin = client_for(personas.admin, "en")
    edit = reverse("operations:windows_edit") + f"?election={day.election.slug}"
    answer = admin.post(edit, _edit_post(day, "5"))
    assert answer.status_code == 200
    assert "Restore the real day first" in answer.content.decode()


# -- F5: a correction that still breaks a rule is not said to be published ------------

def _record(day: Any, code: str, clock: str, **values: Any) -> Any:
    from amanat.operations import services
    from amanat.operations.tests.conftest import at

    window = services.window_for(day.election, code, at(clock))
    return services.checkin_record(station=day.gharchak_station, window=window,
                                   values=services.Values(**values), source="web",
                                   at=at(clock)).checkin


def test_a_correction_still_above_the_register_says_it_stays_held(
        day: Any, personas: Any) -> None:
    from amanat.operations.models import Flag, StationDay

    checkin = _record(day, "T1", "10:00", voters=1200)  # 800 registered
    flag = Flag.objects.get(checkin=checkin)
    governor = client_for(personas.gharchak_governor)
    answer = governor.post(reverse("operations:flag_correct", args=[flag.pk]),
                           {"voters": "۱۱۰۰", "note": "تماس با رئیس شعبه"}, follow=True)
    assert answer.status_code == 200
    new = Flag.objects.get(checkin=checkin, state="open")
    # Taken to the new flag, told in words that the figure is held, not published.
    assert answer.redirect_chain[-1][0] == reverse("operations:flag", args=[new.pk])
    text = answer.content.decode()
    assert "منتشر شد" not in text
    assert "همچنان" in text and "مشارکت بیش از واجدان شرایط شعبه" in text
    assert 'alert-warning' in text
    checkin.refresh_from_db()
    assert checkin.state == "quarantined" and checkin.voters == 1100
    assert StationDay.objects.get(station=day.gharchak_station).voters is None

    # A correction within the register is published, as before.
    other = client_for(personas.admin)
    answer = other.post(reverse("operations:flag_correct", args=[new.pk]),
                        {"voters": "700", "note": "برگهٔ شمارش"}, follow=True)
    assert "اصلاح و منتشر شد" in answer.content.decode()
    assert StationDay.objects.get(station=day.gharchak_station).voters == 700


# -- F3, F4: an opening's cameras, network and materials; the window's label -----------

def test_the_opening_answers_are_shown_on_the_station_day_and_the_alert(
        day: Any, personas: Any) -> None:
    from amanat.operations.models import Alert
    from amanat.operations.tests.conftest import at

    _record(day, "O", "07:00", staff={"representative": 1, "member": 4}, cameras=True,
            network=False)
    _record(day, "I", "07:05", incidents="VB")
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at("07:06").isoformat(), stdout=io.StringIO())
    governor = client_for(personas.gharchak_governor)
    page = governor.get(reverse("operations:station_day", args=[day.gharchak_station.pk]))
    text = page.content.decode()
    assert "دوربین‌ها در حال ضبط: بله" in text
    assert 'شبکه برقرار: <strong class="text-danger">خیر</strong>' in text
    assert "اقلام" not in text.split('data-testid="timeline"')[1].split("</ol>")[0]  # not given

    english = client_for(personas.gharchak_governor, "en")
    text = english.get(reverse("operations:station_day",
                               args=[day.gharchak_station.pk])).content.decode()
    assert "cameras recording: Yes" in text

    # The alert's last check-in: the window's label in the reader's language (F4).
    _record(day, "C", "20:00", total=700)
    alert = Alert.objects.get(kind="incident")
    text = governor.get(reverse("operations:alert", args=[alert.pk])).content.decode()
    last = text.split('data-testid="alert-last"')[1].split("</dd>")[0]
    assert "closing" not in last and "بستن صندوق" in last


# -- F17: the province's and country's tables keep the watch figures on a phone ---------

def _browser_sign_in(page: Any, user: Any) -> None:
    from django.conf import settings as django_settings

    client = Client()
    sign_in(client, user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                               "url": page.base_url}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_unit_table_keeps_silent_flagged_and_turnout_on_a_phone(
        browser_page: Any, day: Any, personas: Any, settings: Any) -> None:
    from playwright.sync_api import expect

    settings.AMANAT_TILE_URL = ""
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 900})
    _browser_sign_in(page, personas.admin)
    page.goto(f"{page.base_url}/operations/?election={day.election.slug}&refresh=2")
    board = page.locator("#ops-dashboard")
    expect(board).to_have_attribute("data-state", "fresh")
    for _ in range(2):  # as rendered, then as the first poll redraws the rows
        heads = [h.strip() for h in page.locator("[data-testid=ops-table] th:visible")
                 .all_inner_texts()]
        assert heads == ["استان", "خاموش", "پرچم‌خورده", "مشارکت", "رخدادها"], heads
        row = page.locator("[data-testid=ops-row]").first
        assert row.locator("td:visible").count() == 5
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        assert page.evaluate(
            "document.querySelector('[data-testid=ops-table]').scrollWidth"
            " <= document.querySelector('[data-testid=ops-table]').parentElement"
            ".clientWidth + 1")
        page.wait_for_timeout(2500)
    # At 1280 in English, beside the map: everything but «Opened», nothing cut (F8);
    # wider still, every column.
    page.context.add_cookies([{"name": "django_language", "value": "en",
                               "url": page.base_url}])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(board).to_have_attribute("data-state", "fresh")
    for _ in range(2):
        assert page.locator("[data-testid=ops-table] th:visible").count() == 9
        assert page.evaluate(
            "document.querySelector('[data-testid=ops-table]').scrollWidth"
            " <= document.querySelector('[data-testid=ops-table]').parentElement"
            ".clientWidth + 1")
        page.wait_for_timeout(2500)
    page.set_viewport_size({"width": 1500, "height": 900})
    assert page.locator("[data-testid=ops-table] th:visible").count() == 10


# -- F14: the station's day says it is silent and links its alerts and flags ------------

def test_the_station_day_says_silent_since_and_links_its_alerts_and_flags(
        day: Any, personas: Any) -> None:
    from amanat.operations.models import Alert, Flag
    from amanat.operations.tests.conftest import at

    checkin = _record(day, "T1", "10:00", voters=900)  # 800 registered: flagged
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at("11:30").isoformat(), stdout=io.StringIO())
    silent = Alert.objects.get(kind="silent", station=day.gharchak_station)
    quality = Alert.objects.get(kind="quality", station=day.gharchak_station)
    flag = Flag.objects.get(checkin=checkin)
    url = reverse("operations:station_day", args=[day.gharchak_station.pk])

    text = client_for(personas.gharchak_governor).get(url).content.decode()
    state = text.split('data-testid="day-state"')[1].split("</dd>")[0]
    assert "خاموش" in state and "(از ۱۴۰۵/۰۳/۲۲ " in state  # Jalali, Persian digits
    alerts = text.split('data-testid="day-alerts"')[1].split("</ul>")[0]
    assert reverse("operations:alert", args=[silent.pk]) in alerts
    assert reverse("operations:alert", args=[quality.pk]) in alerts
    assert "مشارکت بیش از واجدان شرایط شعبه" in alerts
    flags = text.split('data-testid="flags"')[1].split("</table>")[0]
    assert f'href="{reverse("operations:flag", args=[flag.pk])}"' in flags

    # Closed alerts are not listed; a field inspector (who does not read alerts) sees the
    # state but no alert; another county's governor does not see the station at all.
    Alert.objects.filter(pk=quality.pk).update(state="closed")
    text = client_for(personas.gharchak_governor).get(url).content.decode()
    assert reverse("operations:alert", args=[quality.pk]) not in text
    inspector = client_for(personas.inspector).get(url)
    assert inspector.status_code == 200
    assert 'data-testid="day-alerts"' not in inspector.content.decode()
    assert 'data-testid="day-state"' in inspector.content.decode()
    assert client_for(personas.kerman_governor).get(url).status_code == 404


# -- F10: an SMS refusal quotes what the sender typed ------------------------------------

def _kannel(client: Client, text: str, sender: str, message_id: str) -> Any:
    import urllib.parse

    from django.test import TestCase

    from amanat.core.models import InboundSms

    query = urllib.parse.urlencode({"key": "s3cret", "id": message_id, "from": sender,
                                    "to": "3000", "text": text, "charset": "UTF-8",
                                    "coding": "0"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.get(f"/api/v1/sms/kannel?{query}")
    assert answer.status_code == 200, answer.content
    return InboundSms.objects.get(gateway_id=message_id)


def test_an_sms_incident_typed_in_words_is_quoted_as_typed(day: Any, settings: Any) -> None:
    from amanat.core import notify
    from amanat.elections.posts import StationPost
    from amanat.operations.models import Checkin
    from amanat.operations.tests.test_sms_checkins import open_now, staff

    settings.AMANAT_KANNEL_SECRET = "s3cret"
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, "09121110042", 1)
    open_now(day, "I", "T1")
    client = Client()
    code = f"{day.gharchak_station.county.code}-{day.gharchak_station.code}"
    fa_code = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    with translation.override("fa"):
        row = _kannel(client, f"I#{code}#خرید رای", "+989121110042", "u2-1")
        assert row.outcome == "refused" and row.error == "unknown_category"
        assert "«خرید»" in row.reply and "OVDN" not in row.reply
        # Persian keyboard letters for a code still read as the code («رذ» is VB).
        row = _kannel(client, f"ه#{fa_code}#رذ", "+989121110042", "u2-2")
        assert row.outcome == "accepted", row.reply
        # A code in Latin letters that is not one is quoted as typed too.
        row = _kannel(client, f"I#{code}#vb#xx", "+989121110042", "u2-3")
        assert row.error == "unknown_category" and "«xx»" in row.reply
        # With the code and the station read from more parts (``T 1``): still aligned.
        row = _kannel(client, "T 1 " + code.replace("-", " ") + " 35O", "+989121110042", "u2-4")
        assert row.outcome == "accepted", row.reply
    assert Checkin.objects.filter(station=day.gharchak_station).count() == 2
    assert len(notify.outbox) == 4  # every message answered


# -- F13: a rule typed with the Persian keyboard's digits -------------------------------

def test_a_rule_with_persian_digits_is_saved_and_flags(day: Any, personas: Any) -> None:
    from amanat.operations.models import QualityRule

    admin = client_for(personas.admin)
    answer = admin.post(reverse("operations:rule_new"), {
        "code": "cameras-off", "name_fa": "دوربین‌ها خاموش", "name_en": "Cameras off",
        "description": "در گشایش اعلام شده که دوربین‌ها ضبط نمی‌کنند.",
        "kinds": ["opening"], "expression": "cameras == ۰ and staff < ۱٫۵ * ۱۰",
        "active": "on"})
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    rule = QualityRule.objects.get(code="cameras-off")
    assert rule.expression == "cameras == 0 and staff < 1.5 * 10"
    checkin = _record(day, "O", "07:00", staff={"representative": 1}, cameras=False)
    assert checkin.state == "quarantined"
    assert [f.rule.code for f in checkin.flags.all()] == ["cameras-off"]
    # A bad expression is still refused, whatever its digits.
    answer = admin.post(reverse("operations:rule_new"), {
        "code": "bad", "name_fa": "بد", "name_en": "Bad", "description": "",
        "kinds": ["opening"], "expression": "cameras == ۰ and", "active": "on"})
    assert answer.status_code == 400
    assert not QualityRule.objects.filter(code="bad").exists()


# -- F9: the OpenAPI document's limits are the server's ---------------------------------

def test_the_document_states_the_voters_limit_the_server_applies(day: Any) -> None:
    from amanat.operations.services import MAX_VOTERS

    document = Client().get("/api/v1/openapi.json").json()
    schema = document["components"]["schemas"]["CheckinIn"]["properties"]
    for name in ("voters", "total"):
        number = next(s for s in schema[name]["anyOf"] if s.get("type") == "integer")
        assert number["maximum"] == MAX_VOTERS


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("group_commit")
def test_a_number_above_the_documented_limit_is_a_422_on_the_field(
        field: Any) -> None:  # noqa: F811
    from amanat.intake.tests.test_checkins import post
    from amanat.operations.models import Checkin
    from amanat.operations.services import MAX_VOTERS

    code = f"{field.day.gharchak_station.county.code}-{field.day.gharchak_station.code}"
    refused = post(field.token, {"station": code, "window": "T1", "voters": MAX_VOTERS + 1},
                   "u2-limit-1", language="fa")
    assert refused.status == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["voters"]
    accepted = post(field.token, {"station": code, "window": "T1", "voters": 700},
                    "u2-limit-2")
    assert accepted.status == 201
    assert Checkin.objects.filter(voters=MAX_VOTERS + 1).count() == 0


# -- F2: the station's code in the page's digits on the check-in form -------------------

def test_the_checkin_form_writes_the_station_code_in_persian_digits(
        day: Any, personas: Any) -> None:
    from amanat.operations.tests.test_sms_checkins import open_now

    open_now(day, "T1")
    url = reverse("operations:checkin", args=[day.gharchak_station.pk])
    text = client_for(personas.inspector).get(url).content.decode()
    title = text.split("<title>")[1].split("</title>")[0]
    heading = text.split("<h1")[1].split("</h1>")[0]
    crumbs = text.split('<ol class="breadcrumb')[1].split("</ol>")[0]
    for part in (title, heading, crumbs):
        assert "۰۰۴۲" in part and "0042" not in part
    english = client_for(personas.inspector, "en").get(url).content.decode()
    assert "0042" in english.split("<h1")[1].split("</h1>")[0]


# -- F6, F18: the officials' messages name what matters ----------------------------------

def test_the_watch_messages_name_serious_codes_only_and_stations_with_their_county(
        day: Any, small_geo: Any) -> None:
    from amanat.core.models import OutboundMessage
    from amanat.operations.tests.conftest import at
    from amanat.operations.tests.test_watch import official

    official("gharchak_gov", small_geo.gharchak, mobile="09120000011")
    official("tehran_gov", small_geo.tehran, mobile="09120000012")
    _record(day, "I", "07:00", incidents="VB EF")

    def watch(clock: str) -> None:
        call_command("operations_watch", "--election", day.election.slug, "--now",
                     at(clock).isoformat(), stdout=io.StringIO())

    watch("07:01")
    serious = [m.text for m in OutboundMessage.objects.filter(to="09120000011")
               if "جدی" in m.text]
    assert len(serious) == 1
    assert "خرید و فروش رأی" in serious[0] and "خرابی تجهیزات" not in serious[0]
    # Nobody acknowledges: the province is told each station with its county's code.
    watch("07:45")
    (escalated,) = OutboundMessage.objects.filter(to="09120000012")
    county = day.gharchak_station.county.code
    shown = f"{county}-{day.gharchak_station.code}".translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert shown in escalated.text, escalated.text


# -- F7: the open flags fit a phone --------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_flag_list_fits_a_phone(browser_page: Any, day: Any, personas: Any) -> None:
    _record(day, "T1", "10:00", voters=1200)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 900})
    _browser_sign_in(page, personas.gharchak_governor)
    page.goto(f"{page.base_url}/operations/flags/")
    rows = page.locator("[data-testid=flag-row]")
    assert rows.count() >= 1
    assert rows.first.locator("[data-testid=flag-row-rule]").is_visible()
    assert "مشارکت بیش از واجدان شرایط شعبه" in page.locator(
        "[data-testid=flag-table]").inner_text()
    assert page.evaluate(
        "document.querySelector('[data-testid=flag-table]').scrollWidth"
        " <= document.querySelector('[data-testid=flag-table]').parentElement"
        ".clientWidth + 1")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not rows.first.locator("[data-testid=flag-row-rule]").is_visible()
    assert page.locator("[data-testid=flag-table] th:visible").count() == 6
    # The windows' table too: the kind and label under the code on a phone.
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{page.base_url}/operations/windows/?election={day.election.slug}")
    assert page.locator("[data-testid=window-row-kind]").first.is_visible()
    assert "گشایش" in page.locator("[data-testid=window-row]").first.inner_text()
    assert page.evaluate(
        "document.querySelector('[data-testid=windows-table]').scrollWidth"
        " <= document.querySelector('[data-testid=windows-table]').parentElement"
        ".clientWidth + 1")


@pytest.fixture
def sms_staff(day: Any, settings: Any) -> None:
    """Gharchak's station with a representative's phone registered, T1 open, SMS through
    the Kannel get-url into the memory outbox."""
    from amanat.core import notify
    from amanat.elections.posts import StationPost
    from amanat.operations.tests.test_sms_checkins import open_now, staff

    settings.AMANAT_KANNEL_SECRET = "s3cret"
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, "09121110042", 1)
    open_now(day, "T1")


# -- F12: an SMS without the county code is told how to write the station ----------------

def test_an_sms_without_the_county_code_is_told_to_add_it(day: Any, sms_staff: Any) -> None:
    from amanat.operations.models import Checkin

    station = day.gharchak_station
    full = f"{station.county.code}-{station.code}".translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    with translation.override("fa"):
        row = _kannel(Client(), f"T1#{station.code}#350", "+989121110042", "u2-c1")
        assert row.outcome == "refused" and row.error == "unknown_station"
        assert f"کد شهرستان را پیش از کد شعبه بنویسید: {full}" in row.reply, row.reply
        # Another number that is nobody's station: the plain refusal, as before.
        row = _kannel(Client(), "T1#9999#350", "+989121110042", "u2-c2")
        assert row.error == "unknown_station" and "شعبه‌ای با کد" in row.reply
    assert not Checkin.objects.exists()


# -- F11: the Persian letter that sounds like T -------------------------------------------

def test_an_sms_turnout_written_with_the_persian_te_is_read(day: Any, sms_staff: Any) -> None:
    from amanat.operations.models import Checkin

    station = day.gharchak_station
    code = f"{station.county.code}-{station.code}".translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    with translation.override("fa"):
        row = _kannel(Client(), f"ت۱#{code}#۳۶۰", "+989121110042", "u2-t1")
        assert row.handler == "operations" and row.outcome == "accepted", row.reply
        row = _kannel(Client(), f"ت ۱ {code} ۳۷۰", "+989121110042", "u2-t2")
        assert row.outcome == "accepted", row.reply
    assert sorted(Checkin.objects.values_list("voters", flat=True)) == [360, 370]
