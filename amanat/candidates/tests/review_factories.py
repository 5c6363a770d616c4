"""Rows for the review tests and the URL walk: contests, constituencies and candidacies
made directly (registration itself is tested through its own services)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib.auth.models import User

from amanat.accounts.models import Membership
from amanat.candidates.models import (
    Board,
    Candidacy,
    Channel,
    Complaint,
    EducationLevel,
    FinalList,
    FinalListEntry,
    Gender,
    Inquiry,
    InquiryAnswer,
    InquiryBatch,
    InquiryKind,
    Outcome,
    ReviewDecision,
    State,
)
from amanat.elections.models import Contest, ContestKind, Election, Milestone, PhaseKind
from amanat.geo.models import AdminUnit, Constituency, ConstituencyKind
from amanat.lib.persian import search_key

_serial = itertools.count(1)


def national_id(n: int) -> str:
    """A ten-digit national ID with a valid check digit."""
    first = f"{n:09d}"[-9:]
    total = sum(int(d) * (10 - i) for i, d in enumerate(first))
    rest = total % 11
    return first + str(rest if rest < 2 else 11 - rest)


def member(username: str, role: str, unit: AdminUnit) -> User:
    user = User.objects.create_user(username=username)
    Membership.objects.create(user=user, role=role, unit=unit)
    return user


def contest(election: Election, kind: str = ContestKind.CITY_COUNCIL) -> Contest:
    found, _created = Contest.objects.get_or_create(
        election=election, kind=kind, defaults={"name": f"contest {kind}"})
    return found


def constituency(unit: AdminUnit, province: AdminUnit, *, kind: str = ConstituencyKind.CITY,
                 seats: int = 5) -> Constituency:
    # One constituency per (kind, unit): reuse one made elsewhere (the URL walk's own).
    existing = Constituency.objects.filter(kind=kind, unit=unit).first()
    if existing is not None:
        return existing
    found, _created = Constituency.objects.get_or_create(
        code=f"T-{unit.code}-{kind}",
        defaults={"name": f"{unit.name}", "kind": kind, "province": province, "unit": unit,
                  "unit_path": unit.path, "seats": seats})
    return found


def calendar(election: Election, *, closes: datetime.date, complaints_close: datetime.date,
             suffix: str = "") -> None:
    for code, due in (("candidate_registration_closes", closes),
                      ("candidate_complaints_close", complaints_close)):
        Milestone.objects.update_or_create(
            election=election, code=code + suffix,
            defaults={"name": code, "due": due, "phase": PhaseKind.BEFORE})


def candidacy(*, contest: Contest, constituency: Constituency, county: AdminUnit,
              state: str = State.REGISTERED, last_name: str = "", first_name: str = "علی"
              ) -> Candidacy:
    n = next(_serial)
    nid = national_id(100000 + n)
    contest.constituencies.add(constituency)  # as registration requires
    last = last_name or f"نامزد{n}"
    reference = f"TC{n:08d}"
    return Candidacy.objects.create(
        reference=reference, election=contest.election, contest=contest,
        constituency=constituency, county=county, unit_path=county.path, state=state,
        channel=Channel.WALK_IN, national_id=nid, first_name=first_name, last_name=last,
        gender=Gender.MALE, birth_date=datetime.date(1980, 1, 1),
        education=EducationLevel.BACHELOR, mobile="09120000000",
        search_text=search_key(f"{first_name} {last} {nid} {reference}"))


def walk_rows(election: Election, geo: Any, admin: User) -> dict[str, list[Any]]:
    """Per county (Gharchak, Kerman): a candidacy with an inquiry, an executive decision
    awaiting its check, a disqualified one with a pending complaint, and a published
    final list with one entry. Made once per election."""
    existing = list(Candidacy.objects.filter(election=election, reference__startswith="TW"))
    if not existing:
        race = contest(election)
        for i, (county, place, province) in enumerate((
                (geo.gharchak, geo.gharchak_city, geo.tehran),
                (geo.kerman_county, geo.kerman_city, geo.kerman_province))):
            seat = constituency(place, province)
            rows = []
            for j, state in enumerate((State.UNDER_REVIEW, State.DISQUALIFIED, State.QUALIFIED)):
                c = candidacy(contest=race, constituency=seat, county=county, state=state)
                Candidacy.objects.filter(pk=c.pk).update(reference=f"TW{i}{j}")
                rows.append(c)
            batch = InquiryBatch.objects.create(
                reference=f"INQ-W{i}", election=election, kind=InquiryKind.POLICE, unit=county,
                unit_path=county.path, due=datetime.date(2026, 1, 10), sent_by=admin)
            Inquiry.objects.create(candidacy=rows[0], batch=batch, kind=InquiryKind.POLICE,
                                   due=batch.due)
            ReviewDecision.objects.create(candidacy=rows[0], board=Board.EXECUTIVE,
                                          outcome=Outcome.QUALIFIED, decided_by=admin)
            Complaint.objects.create(candidacy=rows[1], text="walk")
            final = FinalList.objects.create(contest=race, constituency=seat,
                                             published_at=datetime.datetime(
                                                 2026, 1, 20, tzinfo=datetime.UTC))
            FinalListEntry.objects.create(final_list=final, candidacy=rows[2], ballot_order=1,
                                          ballot_name=rows[2].full_name)
        existing = list(Candidacy.objects.filter(election=election, reference__startswith="TW"))
    ids = [c.pk for c in existing]
    return {
        "candidacies": list(Candidacy.objects.filter(pk__in=ids).select_related("county")),
        "inquiries": list(Inquiry.objects.filter(candidacy_id__in=ids)
                          .select_related("candidacy__county")),
        "decisions": list(ReviewDecision.objects.filter(candidacy_id__in=ids)
                          .select_related("candidacy__county")),
        "complaints": list(Complaint.objects.filter(candidacy_id__in=ids)
                           .select_related("candidacy__county")),
        "entries": list(FinalListEntry.objects.filter(candidacy_id__in=ids)
                        .select_related("candidacy__county", "final_list__constituency__unit")),
    }



def answered(*candidacies: Candidacy, by: User, answer: str = InquiryAnswer.CLEAR) -> None:
    """The four inquiries about each candidacy, sent and answered (``answer``): what a
    qualification rests on (review_services._require_answers). Rows made directly, like
    the rest of these factories; the inquiry pages are tested on their own."""
    county = candidacies[0].county
    for kind in InquiryKind.values:
        batch = InquiryBatch.objects.create(
            reference=f"INQ-A{next(_serial)}", election=candidacies[0].election, kind=kind,
            unit=county, unit_path=county.path, due=datetime.date(2026, 1, 10), sent_by=by)
        Inquiry.objects.bulk_create([
            Inquiry(candidacy=c, batch=batch, kind=kind, due=batch.due, answer=answer,
                    adverse_reference="A-1" if answer == InquiryAnswer.ADVERSE else "",
                    answered_at=batch.sent_at, recorded_by=by)
            for c in candidacies if not Inquiry.objects.filter(candidacy=c, kind=kind).exists()])
