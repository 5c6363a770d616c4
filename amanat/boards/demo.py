"""Demo boards (issue 14): complete boards where the demo has people and decisions.

* Gharchak and Kerman counties: the county executive board (its size by law) and the
  three-person county inspection board;
* Tehran and Kerman provinces: the three-person provincial inspection board and the
  supervision board's representatives (the Tehran supervision member of the candidate
  review demo sits on Tehran's);
* the demo's board accounts, where they exist, are linked to a seat, so that what they
  do in Amanat is tied to their board.

Synthetic people with valid national IDs. Runs through the services (audited); a board
already there is completed, never duplicated: running it twice changes nothing. Loaded
before the candidate review, which refuses to let an incomplete board act.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from amanat.boards import services
from amanat.boards.law import rule
from amanat.boards.models import Board, BoardKind, BoardMember
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.jalali import to_jalali
from amanat.lib.nationalid import with_check_digit

GHARCHAK, KERMAN_COUNTY, TEHRAN, KERMAN_PROVINCE = "2321", "0808", "23", "08"
FIRST = ["محمد", "علی", "زهرا", "حسین", "فاطمه", "رضا", "مریم", "مهدی", "سمیه", "احمد",
         "نرگس", "حمید", "الهام", "جواد"]
LAST = ["کریمی", "رضایی", "موسوی", "احمدی", "حسینی", "صادقی", "نوری", "شریفی", "جعفری",
        "قربانی", "اکبری", "محمدی", "رحیمی", "فتحی"]


def _plan() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(kind, unit kind, unit code, accounts to seat in order), read when the demo runs."""
    return [
        (BoardKind.COUNTY_EXECUTIVE, Kind.COUNTY, GHARCHAK, ("demo.gharchak.board",)),
        (BoardKind.COUNTY_INSPECTION, Kind.COUNTY, GHARCHAK, ()),
        (BoardKind.COUNTY_EXECUTIVE, Kind.COUNTY, KERMAN_COUNTY, ("demo.kerman.board",)),
        (BoardKind.COUNTY_INSPECTION, Kind.COUNTY, KERMAN_COUNTY, ()),
        (BoardKind.PROVINCE_INSPECTION, Kind.PROVINCE, TEHRAN, ()),
        (BoardKind.PROVINCE_INSPECTION, Kind.PROVINCE, KERMAN_PROVINCE, ()),
        (BoardKind.SUPERVISION, Kind.PROVINCE, TEHRAN,
         ("demo.tehran.supervision", "demo.tehran.supervision2")),
        (BoardKind.SUPERVISION, Kind.PROVINCE, KERMAN_PROVINCE, ()),
    ]


_SIGNER: dict[str, str] = {
    BoardKind.SUPERVISION: "هیئت نظارت استان",
}


@dataclass
class DemoBoards:
    boards: int = 0
    members: int = 0
    note: str = ""

    def __str__(self) -> str:
        return self.note or f"{self.boards} boards formed, {self.members} members appointed"


def _person(unit: AdminUnit, kind: str, seat: int) -> tuple[str, str]:
    """A synthetic member: a name and a valid national ID, stable per board and seat."""
    salt = sum(ord(ch) for ch in f"{unit.code}{kind}") % 97
    n = (salt * 31 + seat * 7) % len(FIRST)
    name = f"{FIRST[n]} {LAST[(n + seat + salt) % len(LAST)]}"
    digits = f"{int(unit.code or 0) % 1000:03d}{BoardKind.values.index(kind)}{seat:02d}{salt:03d}"
    return name, with_check_digit(("4" + digits)[:9])


def complete_board(*, election: Election, kind: str, unit: AdminUnit,
                   users: Sequence[User] = (), act_date: datetime.date | None = None
                   ) -> tuple[Board, int]:
    """The board of ``kind`` at ``unit`` formed (if missing) and filled to its size by law,
    with a chair; ``users`` are linked to the first seats. Returns the board and how many
    members were appointed now. Used by the demo and the tests."""
    day = act_date or timezone.localdate() - datetime.timedelta(days=60)
    board = Board.objects.filter(election=election, kind=kind, unit=unit).first()
    if board is None:
        signer = _SIGNER.get(kind, f"استاندار {unit.name}" if unit.kind == Kind.PROVINCE
                             else f"فرماندار {unit.name}")
        board = services.board_create(actor=None, election=election, kind=kind, unit=unit,
                                      act_number=_act_number(unit, kind, day),
                                      act_date=day, appointed_by=signer)
    serving = list(board.members.serving())
    taken = {m.user_id for m in serving}
    linked = [u for u in users if u.pk not in taken]
    has_chair = any(m.is_chair for m in serving)
    added = 0
    seat = 0
    while len(serving) + added < rule(kind).size:
        seat += 1
        name, national_id = _person(unit, kind, seat)
        if board.members.serving().filter(national_id=national_id).exists():
            continue
        user = linked.pop(0) if linked else None
        services.member_appoint(actor=None, board=board, full_name=name,
                                national_id=national_id, appointed_on=day, user=user,
                                is_chair=not has_chair and added == 0)
        added += 1
    if not board.members.serving().filter(is_chair=True).exists():
        first = board.members.serving().order_by("appointed_on", "pk").first()
        if first is not None:
            services.chair_set(actor=None, member=first)
    return board, added


def seed_demo_boards(election: Election) -> DemoBoards:
    result = DemoBoards()
    units = {(u.kind, u.code): u for u in AdminUnit.objects.filter(
        code__in=[GHARCHAK, KERMAN_COUNTY, TEHRAN, KERMAN_PROVINCE],
        kind__in=[Kind.COUNTY, Kind.PROVINCE])}
    plan = _plan()
    accounts = {u.username: u for u in get_user_model().objects.filter(
        username__in=[name for *_r, names in plan for name in names])}
    for kind, unit_kind, code, names in plan:
        unit = units.get((unit_kind, code))
        if unit is None:
            continue
        existed = Board.objects.filter(election=election, kind=kind, unit=unit).exists()
        seated = set(BoardMember.objects.serving().filter(
            board__election=election, board__kind=kind, board__unit=unit,
            user__isnull=False).values_list("user__username", flat=True))
        users = [accounts[n] for n in names if n in accounts and n not in seated]
        _board, added = complete_board(election=election, kind=kind, unit=unit, users=users)
        result.boards += 0 if existed else 1
        result.members += added
    if not result.boards and not result.members:
        result.note = "already loaded"
    return result


def _act_number(unit: AdminUnit, kind: str, day: datetime.date) -> str:
    """An act number as an Iranian office writes it: Jalali year / unit / serial (it was
    "2321/cou/2026": an English slug and a Gregorian year on a Persian decree)."""
    return f"{to_jalali(day).year}/{unit.code}/{list(BoardKind.values).index(kind) + 1}"
