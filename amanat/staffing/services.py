"""Writes of the staffing app: the people register, assignments (by hand and by the
solver), the roster's approval; every write one transaction with its audit entry."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.audit.services import audit_record
from amanat.candidates.services import mobile_checked, national_id_checked
from amanat.core import jobs, notify
from amanat.core.errors import Digits, RuleError, table_warnings, tabular_error
from amanat.core.identity import mask_mobile, mask_national_id
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.jalali import format_jalali
from amanat.lib.persian import normalize, search_key, to_persian_digits
from amanat.lib.tabular import Cell, TabularError, check_error_cells, read_table, write_table
from amanat.staffing import people_table as pt
from amanat.staffing import rules, tasks
from amanat.staffing.assignment import (
    members_per_station,
    post_slots,
    roster_for,
    roster_unlocked,
    roster_write_lock,
    run_stale,
    run_under_way,
    staffed_sync,
)
from amanat.staffing.models import (
    Assignment,
    Gender,
    Person,
    PostNotice,
    Roster,
    RosterState,
    RunState,
    Source,
)
from amanat.staffing.rules import Checker, check
from amanat.stations.models import Station
from amanat.stations.services import ImportReport, RowError
from amanat.stations.tabular import UnknownColumn

# --- people ----------------------------------------------------------------------------------

PERSON_FIELDS = ("national_id", "first_name", "last_name", "gender", "mobile", "employer",
                 "posts", "available", "home_unit")


def _person_state(person: Person) -> dict[str, Any]:
    """What an edit compares (the national ID in full: the rules read it)."""
    return {"national_id": person.national_id, "first_name": person.first_name,
            "last_name": person.last_name, "posts": person.posts,
            "available": person.available, "home_unit": person.home_unit_id,
            "employer": person.employer, "gender": person.gender}


def posts_checked(values: Iterable[str], *, field: str = "posts") -> str:
    chosen = sorted({v for v in values if v})
    unknown = [v for v in chosen if v not in StationPost.values]
    if unknown:
        raise RuleError(_("“%(value)s” is not a station post; the posts are: %(allowed)s"),
                        code="unknown_post", field=field, value=unknown[0],
                        allowed=", ".join(str(label) for label in StationPost.labels))
    return ",".join(chosen)


def home_unit_checked(county: AdminUnit, unit: AdminUnit | None) -> AdminUnit | None:
    if unit is not None and not unit.path.startswith(county.path):
        raise RuleError(_("The home place must lie in the county %(county)s."),
                        code="home_outside_county", field="home_unit", county=county.name)
    return unit


def _derive(person: Person) -> None:
    person.first_name = normalize(person.first_name)
    person.last_name = normalize(person.last_name)
    person.employer = normalize(person.employer)
    person.unit_path = person.home_unit.path if person.home_unit else person.county.path
    person.search_text = "|".join(search_key(x) for x in (
        person.first_name, person.last_name, person.national_id))[:400]


IDENTITY_FIELDS = ("national_id", "first_name", "last_name")


def held_posts_checked(person: Person, before: Mapping[str, Any] | None) -> None:
    """A change to a person who holds posts must leave every post one the rules allow:
    the national ID, the posts, the availability and the home place are what the rules
    read (an edit must not turn the holder into a candidate, an untrained person or a
    neighbour of the station), and the identity of a holder in an approved roster does
    not change.  Raises the first refusal."""
    if person.pk is None:
        return
    held = list(Assignment.objects.filter(person_id=person.pk)
                .select_related("station", "election", "county"))
    for assignment in held:
        identity_changed = before is not None and any(
            before.get(name) != getattr(person, name) for name in IDENTITY_FIELDS)
        if identity_changed:
            roster_unlocked(roster_for(assignment.election, assignment.county))
        problems = Checker.load(assignment.election, [person]).problems(
            person, assignment.station, assignment.post, replacing=assignment)
        if problems:
            raise problems[0]


def person_save(*, actor: AnyUser | None, county: AdminUnit, data: Mapping[str, Any],
                person: Person | None = None) -> Person:
    """Create (``person`` None) or update a person of ``county``; the national ID is
    checked (its check digit), the mobile put in its one form."""
    nid = national_id_checked(str(data.get("national_id") or ""))
    mobile = mobile_checked(data["mobile"]) if data.get("mobile") else ""
    posts = posts_checked(data.get("posts") or [])
    home = home_unit_checked(county, data.get("home_unit"))
    gender = data.get("gender") or ""
    if gender and gender not in Gender.values:
        raise RuleError(_("Choose a gender from the list."), code="gender", field="gender")
    creating = person is None
    before = None if person is None else _person_state(person)
    if person is None:
        person = Person(county=county)
    person.national_id, person.mobile, person.posts, person.home_unit = nid, mobile, posts, home
    person.first_name = str(data.get("first_name") or "")
    person.last_name = str(data.get("last_name") or "")
    person.gender, person.employer = gender, str(data.get("employer") or "")
    person.available = bool(data.get("available", True))
    _derive(person)
    if not person.first_name or not person.last_name:
        raise RuleError(_("Enter the first and last name."), code="name", field="last_name")
    if not creating:
        held_posts_checked(person, before)
    try:
        with transaction.atomic():
            person.save()
            # The audit log masks the national ID (audit_record); the mobile is not written.
            audit_record(action="staffing.person.create" if creating else
                         "staffing.person.update", actor=actor, unit=county, obj=person,
                         before=before, after=_person_state(person))
    except IntegrityError:
        raise RuleError(_("A person with national ID %(nid)s is already registered."),
                        code="duplicate_national_id", field="national_id", nid=nid) from None
    return person


# --- import ----------------------------------------------------------------------------------


def people_import(*, county: AdminUnit, data: bytes, filename: str, actor: AnyUser | None,
                  dry_run: bool = False, mapping: Mapping[str, str] | None = None
                  ) -> ImportReport:
    """Import people into ``county`` from a CSV or XLSX: all rows or none.  Rows upsert
    by national ID; a national ID registered with another county is refused.

    Columns the import does not know (a county register's «نام پدر») are the station
    import's unknown columns: ``report.unknown_columns`` (with what each could be) and the
    file is refused until ``mapping`` (header -> column name or ``ignore``) decides them.
    The home place is a code or a name within the county; a row without a national ID
    that reads like a total («جمع: ۶ نفر») is skipped with a warning."""
    report = ImportReport(filename=filename, sha256=hashlib.sha256(data).hexdigest(),
                          dry_run=dry_run)
    try:
        table = read_table(data, filename=filename,
                           is_header=lambda row: pt.header_found(row, mapping))
    except TabularError as exc:
        report.errors.append(RowError(tabular_error(exc), row=exc.row or 1, column=exc.column,
                                          value=exc.value))
        return report
    report.format, report.sheet, report.header_row = table.format, table.sheet, table.header_row
    report.warnings += table_warnings(table)
    hmap = pt.map_headers(table.headers, mapping)
    columns, missing = hmap.columns, hmap.missing
    report.ignored_columns, report.unknown_columns = hmap.ignored, hmap.unknown
    for unknown in hmap.unknown:
        report.errors.append(RowError(RuleError(
            _("column “%(header)s” is not recognised; it could be: %(fields)s. Map it to a "
              "field or mark it ignored"),
            code="unknown_column", header=Digits(unknown.header), fields=pt.describe(unknown)),
            row=table.header_row, column=unknown.header, value=unknown.header))
    for name in missing:
        column = pt.BY_NAME[name]
        report.errors.append(RowError(RuleError(
            _("required column “%(header)s” (%(header_fa)s) is missing"),
            code="missing_column", header=column.header_en, header_fa=column.header_fa),
            row=table.header_row, column=column.header_fa))
    if report.errors:
        return report
    try:
        # An error value (#N/A) in a column the import reads; other columns may hold them.
        check_error_cells(table, [index for index, _column in columns])
    except TabularError as exc:
        report.errors.append(RowError(tabular_error(exc), row=exc.row, column=exc.column,
                                      value=exc.value))
        return report
    # A code shared by units of several kinds (a district and its city) names the most
    # specific: deeper units come later and win.
    places = list(AdminUnit.objects.within(county).filter(
        kind__in=[Kind.CITY, Kind.RURAL_DISTRICT, Kind.VILLAGE, Kind.DISTRICT]
    ).order_by("depth", "pk"))
    units = {u.code: u for u in places}
    by_name: dict[str, list[AdminUnit]] = {}
    for place in places:
        by_name.setdefault(search_key(place.name), []).append(place)
    nid_at = next(i for i, c in columns if c.name == "national_id")
    rows: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        nid_cell = cells[nid_at] if nid_at < len(cells) else None
        total = "" if pt.cell_text(nid_cell) else pt.looks_like_total(cells)
        if total:
            report.warnings.append(RuleError(
                _("row %(row)s reads like a total (“%(text)s”) and has no national ID: it "
                  "was skipped"), code="total_row", row=number, text=Digits(total)))
            continue
        report.total_rows += 1
        parsed: dict[str, Any] = {}
        for index, column in columns:
            value: Cell = cells[index] if index < len(cells) else None
            try:
                parsed[column.name] = column.parse(value)
            except RuleError as error:
                report.errors.append(RowError(error.with_field(column.name), row=number,
                                              column=column.header_fa,
                                              value=pt.cell_text(value)))
        if any(e.row == number for e in report.errors):
            continue
        try:
            row = _row_checked(county, parsed, units, by_name)
        except RuleError as error:
            # The row's refusal names its column and the value read, like a cell's.
            about = pt.BY_NAME.get({"home_unit": "home_unit_code"}.get(error.field, error.field))
            at = next((i for i, c in columns if c is about), None)
            report.errors.append(RowError(
                error, row=number, column=about.header_fa if about else "",
                value=pt.cell_text(cells[at]) if at is not None and at < len(cells) else ""))
            continue
        if row["national_id"] in seen:
            report.errors.append(RowError(RuleError(
                _("national ID %(nid)s repeats row %(other)s"), code="duplicate_row",
                nid=row["national_id"], other=seen[row["national_id"]]), row=number))
            continue
        seen[row["national_id"]] = number
        rows.append((number, row))
    if report.total_rows == 0:
        # A header alone (or only a total row) is no import: "0 people added" and an
        # audit entry of an import of nothing would say otherwise.
        report.errors.append(RowError(
            RuleError(_("the file has no rows of people under its header"), code="no_rows"),
            row=table.header_row + 1))
    existing = {p.national_id: p for p in Person.objects.filter(national_id__in=list(seen))
                .select_related("county", "home_unit")}
    for number, row in rows:
        current = existing.get(row["national_id"])
        if current is not None and current.county_id != county.pk:
            report.errors.append(RowError(RuleError(
                _("national ID %(nid)s is registered with another county"),
                code="other_county", nid=row["national_id"]), row=number))
    if report.errors:
        return report
    creates: list[Person] = []
    updates: list[Person] = []
    for number, row in rows:
        current = existing.get(row["national_id"])
        person = current or Person(county=county)
        before = None if current is None else (_person_state(current), current.mobile)
        for name, value in row.items():
            setattr(person, name, value)
        _derive(person)
        if current is None:
            creates.append(person)
        elif before != (_person_state(person), person.mobile):
            try:
                held_posts_checked(person, before[0] if before is not None else None)
            except RuleError as error:
                report.errors.append(RowError(error, row=number))
            updates.append(person)
    if report.errors:
        return report
    report.created, report.updated = len(creates), len(updates)
    report.unchanged = report.total_rows - report.created - report.updated
    if dry_run:
        return report
    with transaction.atomic():
        Person.objects.bulk_create(creates, batch_size=500)
        now = timezone.now()
        for person in updates:
            person.updated_at = now
        Person.objects.bulk_update(updates, [*pt.WRITTEN, "unit_path", "search_text",
                                             "updated_at"], batch_size=500)
        audit_record(action="staffing.people.import", actor=actor, unit=county,
                     object_type="staffing.person", object_id=county.code,
                     extra={"filename": filename, "sha256": report.sha256,
                            "created": report.created, "updated": report.updated})
    return report


_PLACE_PREFIXES = tuple(search_key(w) for w in (
    "شهر", "روستای", "روستا", "دهستان", "بخش", "city of", "village of"))


def home_place_by_name(county: AdminUnit, name: str,
                       by_name: Mapping[str, list[AdminUnit]]) -> AdminUnit:
    """The city, village, rural district or district of ``county`` called ``name`` (as
    written, or without «شهر»/«روستای»/... before it).  Places that nest (a district and
    its city of one name) name the innermost; two unrelated places of one name, or none,
    refuse the row, naming the code column to use instead."""
    key = search_key(name)
    found = by_name.get(key, [])
    if not found:
        for prefix in _PLACE_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                found = by_name.get(key[len(prefix):], [])
                if found:
                    break
    if not found:
        raise RuleError(
            _("no city, village or district called “%(name)s” in the county %(county)s; "
              "give its code in the column «کد محل سکونت»"),
            code="home_unknown", field="home_place", name=Digits(name), county=county.name)
    inner = max(found, key=lambda u: u.depth)
    if any(not inner.path.startswith(u.path) for u in found):
        raise RuleError(
            _("“%(name)s” names several places in the county %(county)s (%(places)s); give "
              "the home place's code in the column «کد محل سکونت»"),
            code="home_ambiguous", field="home_place", name=Digits(name), county=county.name,
            places="، ".join(f"{u.name} {u.get_kind_display()} ({u.code})" for u in found))
    return inner


def _row_checked(county: AdminUnit, parsed: dict[str, Any],
                 units: Mapping[str, AdminUnit],
                 by_name: Mapping[str, list[AdminUnit]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "national_id": national_id_checked(parsed.get("national_id") or ""),
        "first_name": parsed.get("first_name") or "", "last_name": parsed.get("last_name") or "",
        "gender": parsed.get("gender") or "", "employer": parsed.get("employer") or "",
        "posts": parsed.get("posts") or "",
        "available": True if parsed.get("available") is None else parsed["available"],
        "mobile": mobile_checked(parsed["mobile"]) if parsed.get("mobile") else "",
        "home_unit": None,
    }
    if not row["first_name"] or not row["last_name"]:
        raise RuleError(_("Enter the first and last name."), code="name", field="last_name")
    code = parsed.get("home_unit_code") or ""
    if code:
        unit = units.get(code)
        if unit is None:
            raise RuleError(
                _("no city, village or district with code %(unit)s in the county %(county)s"),
                code="home_unknown", field="home_unit", unit=code, county=county.name)
        row["home_unit"] = unit
    elif parsed.get("home_place"):
        row["home_unit"] = home_place_by_name(county, parsed["home_place"], by_name)
    return row


def people_import_unknown_columns(*, data: bytes, filename: str) -> list[UnknownColumn]:
    """The headers of a people file that match no column (what the mapping step asks
    about); the rows are not read.  Empty when the file cannot be read."""
    try:
        table = read_table(data, filename=filename, is_header=pt.header_found)
    except TabularError:
        return []
    return pt.map_headers(table.headers).unknown


def people_export(*, actor: AnyUser, county: AdminUnit | None, people: QuerySet[Person],
                  masked: bool) -> bytes:
    """The people as XLSX (headers in Persian, read back by the import); audited."""
    rows = [pt.export_row(p, masked=masked) for p in people.select_related("home_unit")]
    stream = io.BytesIO()
    write_table(stream, pt.EXPORT_HEADERS, rows, format="xlsx", sheet_title="افراد")
    data = stream.getvalue()
    audit_record(action="staffing.people.export", actor=actor, unit=county,
                 object_type="staffing.person", object_id=county.code if county else "",
                 extra={"rows": len(rows), "masked": masked})
    return data


def training_person_lookup(*, national_id: str, unit: AdminUnit,
                           **_kwargs: Any) -> tuple[str, str] | None:
    """training.services.person_lookup's receiver: the register's name and mobile of
    ``national_id`` when the person is registered with a county in or around ``unit``
    (an enrolment at a county's session, or at its province's), else None: an enrolment
    need not ask again for what the county's register already has."""
    person = Person.objects.filter(national_id=national_id).select_related("county").first()
    if person is None:
        return None
    county_path = person.county.path
    if county_path.startswith(unit.path) or unit.path.startswith(county_path):
        return person.full_name, person.mobile
    return None


# --- assignments -----------------------------------------------------------------------------


def _slot_checked(election: Election, post: str, slot: int) -> None:
    if (post, slot) not in post_slots(members_per_station(election)):
        raise RuleError(_("Station posts have no “%(post)s” number %(slot)s."),
                        code="no_such_post", field="post", post=post, slot=slot)


def assignment_set(*, actor: AnyUser, station: Station, post: str, slot: int,
                   person: Person, pinned: bool = True) -> Assignment:
    """Put ``person`` into ``post``/``slot`` of ``station`` by hand: every rule checked
    (RuleError naming the rule), the county's roster unlocked; replaces whoever held the
    slot.  A post set by hand is pinned: the solver keeps it."""
    election = station.election
    _slot_checked(election, post, slot)
    roster = roster_for(election, station.county)
    roster_unlocked(roster)
    current = Assignment.objects.filter(station=station, post=post, slot=slot).first()
    check(election=election, person=person, station=station, post=post, replacing=current)
    with transaction.atomic():
        roster_write_lock(roster)
        before = None
        if current is not None:
            before = {"person": current.person_id}
            current.delete()
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    election=election, station=station, county=station.county,
                    unit_path=station.unit_path, post=post, slot=slot, person=person,
                    pinned=pinned, source=Source.MANUAL, created_by=signed_in(actor))
        except IntegrityError:
            # The database keeps one post per person per election even with the rule
            # switched off (staffing_one_post_per_election), and one person per slot.
            raise RuleError(_("%(name)s already holds a post in this election, or the post "
                              "was just filled; reload the page."), code="post_taken",
                            name=person.full_name) from None
        audit_record(action="staffing.assignment.set", actor=actor, unit=station.county,
                     obj=assignment, before=before,
                     after={"station": station.code, "post": post, "slot": slot,
                            "person": person.pk})
        staffed_sync(election=election, county=station.county, actor=actor)
    return assignment


def assignment_clear(*, actor: AnyUser, assignment: Assignment) -> None:
    roster = roster_for(assignment.election, assignment.county)
    roster_unlocked(roster)
    with transaction.atomic():
        roster_write_lock(roster)
        audit_record(action="staffing.assignment.clear", actor=actor, unit=assignment.county,
                     obj=assignment, before={"station": assignment.station.code,
                                             "post": assignment.post, "slot": assignment.slot,
                                             "person": assignment.person_id})
        assignment.delete()
        staffed_sync(election=assignment.election, county=assignment.county, actor=actor)


def roster_approve(*, actor: AnyUser | None, roster: Roster, announce: bool = True) -> Roster:
    """Approve the county's roster; ``announce``: tell the people assigned by SMS
    (``assignments_announce``)."""
    roster_unlocked(roster)
    with transaction.atomic():
        roster = roster_write_lock(roster)
        if run_under_way(roster):
            raise RuleError(_("An assignment run for this county is under way; approve the "
                              "roster when it has finished."), code="run_under_way")
        # The rules were checked when each post was given; what they read may have changed
        # since (a holder now a candidate, a declared relative, a pinned post).
        problems = rules.broken(Assignment.objects.filter(
            election=roster.election, county=roster.county).select_related(
            "election", "person__home_unit", "station"))
        if problems:
            assignment, error = problems[0]
            raise RuleError(_("The roster cannot be approved: %(count)s posts break a rule "
                              "now. First, station %(station)s: %(problem)s"),
                            code="rules_broken", count=len(problems),
                            station=assignment.station.code, problem=error.message)
        roster.state, roster.approved_at = RosterState.APPROVED, timezone.now()
        roster.approved_by = signed_in(actor)
        roster.save(update_fields=["state", "approved_at", "approved_by"])
        filled = Assignment.objects.filter(election=roster.election,
                                           county=roster.county).count()
        audit_record(action="staffing.roster.approve", actor=actor, unit=roster.county,
                     obj=roster, after={"filled": filled})
        if announce:
            assignments_announce(election=roster.election, county=roster.county)
    return roster


ANNOUNCED = "staffing.assigned"
RELEASED = "staffing.released"


def assignments_announce(*, election: Election, county: AdminUnit) -> int:
    """An SMS (core.notify, after commit) to each person of the county whose post changed
    since they were last told (``PostNotice``): a person newly assigned is told their post,
    station and the election day; a person moved is told their new post and that the
    earlier letter is void; a person taken off is told they no longer hold the post.
    Someone whose post is unchanged is not told again.  Called when the roster is
    approved (a draft's assignments may still change).  Returns how many were sent."""
    notices = {n.person_id: n for n in PostNotice.objects.filter(
        election=election, county=county).select_related("person", "station")}
    holding: set[int] = set()
    creates: list[PostNotice] = []
    changes: list[PostNotice] = []
    now = timezone.now()
    day = format_jalali(election.election_day, persian_digits=True)
    sent = 0
    assignments = (Assignment.objects.filter(election=election, county=county)
                   .exclude(person__mobile="").select_related("person", "station")
                   .order_by("pk"))
    with translation.override("fa"):
        for assignment in assignments.iterator(chunk_size=500):
            holding.add(assignment.person_id)
            notice = notices.get(assignment.person_id)
            state = (assignment.station_id, assignment.post, assignment.slot)
            if notice is not None and (notice.station_id, notice.post, notice.slot) == state:
                continue
            station = assignment.station
            values = {"name": assignment.person.full_name,
                      "post": StationPost(assignment.post).label,
                      "station": to_persian_digits(f"{county.code}-{station.code}"),
                      "station_name": station.name, "election": election.name, "day": day}
            if notice is not None and notice.post:
                text = gettext(
                    "%(name)s: your post has changed: you are now assigned as %(post)s of "
                    "polling station %(station)s (%(station_name)s) for %(election)s on "
                    "%(day)s; your earlier appointment letter is void.") % values
            else:
                text = gettext(
                    "%(name)s: you are assigned as %(post)s of polling station %(station)s "
                    "(%(station_name)s) for %(election)s on %(day)s.") % values
            notify.sms_send(to=assignment.person.mobile, text=text,
                            purpose=f"{ANNOUNCED}:{election.pk}:{assignment.pk}:"
                                    f"{assignment.person_id}")
            sent += 1
            if notice is None:
                creates.append(PostNotice(election=election, county=county,
                                          person_id=assignment.person_id,
                                          station_id=state[0], post=state[1], slot=state[2],
                                          told_at=now))
            else:
                notice.station_id, notice.post, notice.slot = state
                notice.told_at = now
                changes.append(notice)
        # Told of a post they no longer hold (and hold none other in this election).
        gone = [n for n in notices.values() if n.post and n.person_id not in holding]
        still = set(Assignment.objects.filter(
            election=election, person_id__in=[n.person_id for n in gone])
            .values_list("person_id", flat=True))
        for notice in gone:
            if notice.person_id in still:
                continue
            if notice.person.mobile:
                values = {"name": notice.person.full_name,
                          "post": StationPost(notice.post).label, "election": election.name}
                if notice.station is not None:
                    values["station"] = to_persian_digits(f"{county.code}-{notice.station.code}")
                    text = gettext(
                        "%(name)s: you no longer hold the post of %(post)s at polling station "
                        "%(station)s for %(election)s; your appointment letter is void.") % values
                else:
                    text = gettext(
                        "%(name)s: you no longer hold the post of %(post)s for %(election)s; "
                        "your appointment letter is void.") % values
                notify.sms_send(to=notice.person.mobile, text=text,
                                purpose=f"{RELEASED}:{election.pk}:{notice.person_id}")
                sent += 1
            notice.station_id, notice.post, notice.slot, notice.told_at = None, "", 0, now
            changes.append(notice)
    PostNotice.objects.bulk_create(creates, batch_size=500)
    PostNotice.objects.bulk_update(changes, ["station", "post", "slot", "told_at"],
                                   batch_size=500)
    return sent


def roster_reopen(*, actor: AnyUser, roster: Roster) -> Roster:
    with transaction.atomic():
        roster = Roster.objects.select_for_update().select_related("county").get(pk=roster.pk)
        if not roster.locked:
            raise RuleError(_("The roster is not approved."), code="roster_not_approved")
        roster.state, roster.approved_at, roster.approved_by = RosterState.DRAFT, None, None
        roster.save(update_fields=["state", "approved_at", "approved_by"])
        audit_record(action="staffing.roster.reopen", actor=actor, unit=roster.county,
                     obj=roster)
    return roster


def roster_assign_enqueue(*, actor: AnyUser, election: Election, county: AdminUnit,
                          gender_balance: bool = False, replace: bool = False) -> Roster:
    """Queue the solver for the county (a background task after commit), with the
    optional gender balance per station.  It fills the empty posts only, unless
    ``replace``: the governor's explicit full re-optimisation of every post not pinned by
    hand (``assignment.roster_assign``)."""
    roster = roster_for(election, county)
    roster_unlocked(roster)
    with transaction.atomic():
        roster = roster_write_lock(roster)
        if run_under_way(roster):
            raise RuleError(_("An assignment run for this county is already under way."),
                            code="run_under_way")
        # A run whose worker died (no sign of life for too long) is closed and started
        # again; the audit entry says so.
        restarted = run_stale(roster)
        if restarted:
            jobs.job_abandon(roster.run_job_id)
        user = signed_in(actor)
        roster.run_job = None if user is None else jobs.job_create(
            kind="staffing.assign", user_id=user.pk, total=100,
            title=_("Station staff assignment in %(county)s") % {"county": county.name},
            result_url=reverse("staffing:county", args=[county.pk]))
        roster.run_state, roster.run_percent, roster.run_stage = RunState.QUEUED, 0, "queued"
        roster.run_beat_at = timezone.now()
        roster.save(update_fields=["run_state", "run_percent", "run_stage", "run_job",
                                   "run_beat_at"])
        extra = {"gender_balance": gender_balance, "replace": replace}
        if restarted:
            extra["restarted_stale_run"] = True
        audit_record(action="staffing.roster.assign_queued", actor=actor, unit=county,
                     obj=roster, extra=extra)
        roster_id, user_id = roster.pk, getattr(user, "pk", None)
        job_id = str(roster.run_job.pk) if roster.run_job else None
        transaction.on_commit(
            lambda: tasks.roster_assign_task.enqueue(roster_id, user_id, job_id,
                                                     gender_balance, replace))
    return roster


ROSTER_HEADERS = ["کد شعبه", "نام شعبه", "سمت", "ردیف", "کد ملی", "نام", "نام خانوادگی",
                  "تلفن همراه", "کد تأیید"]


def roster_export(*, actor: AnyUser, election: Election, county: AdminUnit,
                  masked: bool) -> bytes:
    """The county's assignments as XLSX; audited."""
    rows: list[list[Cell]] = []
    for a in (Assignment.objects.filter(election=election, county=county)
              .select_related("person", "station").order_by("station__code", "post", "slot")):
        p = a.person
        rows.append([a.station.code, a.station.name, pt.POST_FA.get(a.post, a.post), a.slot,
                     mask_national_id(p.national_id) if masked else p.national_id,
                     p.first_name, p.last_name,
                     mask_mobile(p.mobile) if masked else p.mobile, a.verification_code])
    stream = io.BytesIO()
    write_table(stream, ROSTER_HEADERS, rows, format="xlsx", sheet_title="عوامل شعب")
    audit_record(action="staffing.roster.export", actor=actor, unit=county,
                 object_type="staffing.roster", object_id=county.code,
                 extra={"rows": len(rows), "masked": masked})
    return stream.getvalue()
