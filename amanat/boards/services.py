"""Writes of the boards (issue 14): form a board under the governor's act, appoint, replace
and end members, set the chair. One transaction each, an audit entry inside it, refusals
as ``RuleError`` with nothing stored.

The size of each kind of board is the law's (``law.py``): a member beyond it is refused
naming the rule. National IDs are checked (``lib.nationalid``) and kept out of the audit
log but for their last four digits.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.accounts.models import Membership
from amanat.audit.services import audit_record
from amanat.boards.law import rule
from amanat.boards.models import Board, BoardKind, BoardMember
from amanat.core.errors import Digits, RuleError
from amanat.core.identity import mask_national_id, national_id_checked
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.persian import clean_text

MAX_NAME = 200
MAX_REASON = 500

def _text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    text = clean_text(value or "", multiline=False)
    if required and not text:
        raise RuleError(_("This field is required."), code="required", field=field)
    if len(text) > limit:
        raise RuleError(_("The text is longer than %(limit)s characters."), code="too_long",
                        field=field, limit=limit)
    return text


def _linked_user(user: User | None, board: Board) -> User | None:
    """A member's account must work where the board sits (a membership on its path)."""
    if user is None:
        return None
    paths = Membership.objects.active().filter(user=user).values_list("unit__path", flat=True)
    if not any(board.unit_path.startswith(p) or p.startswith(board.unit_path) for p in paths):
        raise RuleError(_("%(user)s holds no role in %(unit)s; link an account that works "
                          "there."), code="user_out_of_unit", field="user",
                        user=user.get_username(), unit=board.unit.name)
    if BoardMember.objects.serving().filter(board=board, user=user).exists():
        raise RuleError(_("%(user)s is already linked to a serving member of this board."),
                        code="user_taken", field="user", user=user.get_username())
    return user


def _snapshot(member: BoardMember) -> dict[str, object]:
    return {"full_name": member.full_name, "national_id": mask_national_id(member.national_id),
            "user": member.user_id, "is_chair": member.is_chair,
            "appointed_on": member.appointed_on.isoformat(),
            "ended_on": member.ended_on.isoformat() if member.ended_on else None}


def board_create(*, actor: AnyUser | None, election: Election, kind: str, unit: AdminUnit,
                 act_number: str, act_date: datetime.date, appointed_by: str) -> Board:
    """Record a board of ``kind`` at ``unit``, formed by the act ``act_number``."""
    if kind not in BoardKind.values:
        raise RuleError(_("Unknown kind of board."), code="unknown_kind", field="kind")
    law = rule(kind)
    if unit.kind not in law.unit_kinds:
        raise RuleError(_("%(unit)s cannot have a %(board)s: it is formed at the level of "
                          "%(levels)s."),
                        code="wrong_level", field="unit", board=BoardKind(kind).label,
                        levels=" / ".join(str(Kind(k).label) for k in law.unit_kinds),
                        unit=unit.name)
    number = _text(act_number, field="act_number", limit=64)
    signer = _text(appointed_by, field="appointed_by", limit=MAX_NAME)
    if act_date is None:
        raise RuleError(_("This field is required."), code="required", field="act_date")
    if Board.objects.filter(election=election, kind=kind, unit=unit).exists():
        raise RuleError(_("%(unit)s already has its %(board)s for this election."),
                        code="exists", field="kind", unit=unit.name,
                        board=BoardKind(kind).label)
    with transaction.atomic():
        board = Board.objects.create(election=election, kind=kind, unit=unit,
                                     unit_path=unit.path, act_number=number, act_date=act_date,
                                     appointed_by=signer, created_by=signed_in(actor))
        audit_record(action="boards.board.create", actor=signed_in(actor), unit=unit, obj=board,
                     after={"election": election.slug, "kind": kind, "act_number": number,
                            "act_date": act_date.isoformat(), "appointed_by": signer})
    return board


def _full(board: Board) -> RuleError:
    law = rule(board.kind)
    return RuleError(_("The %(board)s has %(size)s members by law (%(reference)s) and all "
                       "%(size)s are serving: end a member's service or replace a member "
                       "instead of adding one."), code="board_full", field="full_name",
                     board=BoardKind(board.kind).label, size=law.size,
                     reference=law.legal_reference)


# Sent before a person takes a seat on a board (``board``, ``national_id``): an app above
# (candidates: a candidate of the election cannot sit on its boards) refuses by raising a
# RuleError; boards cannot import those apps (the layer contract).
member_seat_check = Signal()


def _new_member(*, board: Board, full_name: str, national_id: str, user: User | None,
                is_chair: bool, appointed_on: datetime.date,
                replaces: BoardMember | None = None) -> BoardMember:
    member_seat_check.send(sender=Board, board=board, national_id=national_id)
    if BoardMember.objects.serving().filter(board=board, national_id=national_id).exists():
        raise RuleError(_("%(value)s already sits on this board."), code="member_exists",
                        field="national_id", value=Digits(national_id))
    if is_chair and BoardMember.objects.serving().filter(board=board, is_chair=True).exists():
        raise RuleError(_("This board already has a chair; make the new member chair "
                          "with “Set as chair” once appointed."), code="chair_exists",
                        field="is_chair")
    try:
        with transaction.atomic():
            return BoardMember.objects.create(
                board=board, full_name=full_name, national_id=national_id, user=user,
                is_chair=is_chair, appointed_on=appointed_on, replaces=replaces)
    except IntegrityError:
        # Another appointment took the seat or the chair meanwhile.
        raise RuleError(_("This board changed meanwhile; reload and try again."),
                        code="conflict") from None


def member_appoint(*, actor: AnyUser | None, board: Board, full_name: str, national_id: str,
                   appointed_on: datetime.date, user: User | None = None,
                   is_chair: bool = False) -> BoardMember:
    """Add a member to ``board``; refused beyond the board's size by law."""
    name = _text(full_name, field="full_name", limit=MAX_NAME)
    nid = national_id_checked(national_id)
    if appointed_on is None:
        raise RuleError(_("This field is required."), code="required", field="appointed_on")
    with transaction.atomic():
        board = Board.objects.select_for_update().select_related("unit").get(pk=board.pk)
        if board.members.serving().count() >= rule(board.kind).size:
            raise _full(board)
        member = _new_member(board=board, full_name=name, national_id=nid,
                             user=_linked_user(user, board), is_chair=is_chair,
                             appointed_on=appointed_on)
        audit_record(action="boards.member.appoint", actor=signed_in(actor), unit=board.unit,
                     obj=member, after={"board": board.pk, **_snapshot(member)})
    return member


def _ended_on(member: BoardMember, day: datetime.date | None, field: str) -> datetime.date:
    if day is None:
        raise RuleError(_("This field is required."), code="required", field=field)
    if day < member.appointed_on:
        raise RuleError(_("The service cannot end before the member was appointed "
                          "(%(day)s)."), code="before_appointed", field=field,
                        day=member.appointed_on)
    return day


def member_end(*, actor: AnyUser | None, member: BoardMember, ended_on: datetime.date,
               reason: str) -> BoardMember:
    """End a member's service (resignation, dismissal); the row stays in the history."""
    text = _text(reason, field="reason", limit=MAX_REASON)
    with transaction.atomic():
        Board.objects.select_for_update().filter(pk=member.board_id).first()
        member = BoardMember.objects.select_for_update().select_related("board__unit").get(
            pk=member.pk)
        if member.ended_on is not None:
            raise RuleError(_("This member's service has already ended."), code="ended",
                            field="reason")
        before = _snapshot(member)
        member.ended_on = _ended_on(member, ended_on, "ended_on")
        member.end_reason, member.is_chair = text, False
        member.save(update_fields=["ended_on", "end_reason", "is_chair"])
        audit_record(action="boards.member.end", actor=signed_in(actor),
                     unit=member.board.unit, obj=member, before=before,
                     after={**_snapshot(member), "reason": text})
    return member


def member_replace(*, actor: AnyUser | None, member: BoardMember, full_name: str,
                   national_id: str, appointed_on: datetime.date, reason: str,
                   user: User | None = None) -> BoardMember:
    """Replace a serving member: their service ends the day the new member is appointed,
    and the new member takes over their seat (and the chair, if they held it)."""
    name = _text(full_name, field="full_name", limit=MAX_NAME)
    nid = national_id_checked(national_id)
    text = _text(reason, field="reason", limit=MAX_REASON)
    with transaction.atomic():
        board = Board.objects.select_for_update().select_related("unit").get(pk=member.board_id)
        old = BoardMember.objects.select_for_update().get(pk=member.pk)
        if old.ended_on is not None:
            raise RuleError(_("This member's service has already ended."), code="ended",
                            field="full_name")
        if nid == old.national_id:
            raise RuleError(_("%(value)s already sits on this board."), code="member_exists",
                            field="national_id", value=Digits(nid))
        before = _snapshot(old)
        was_chair = old.is_chair
        old.ended_on = _ended_on(old, appointed_on, "appointed_on")
        old.end_reason, old.is_chair = text, False
        old.save(update_fields=["ended_on", "end_reason", "is_chair"])
        new = _new_member(board=board, full_name=name, national_id=nid,
                          user=_linked_user(user, board), is_chair=was_chair,
                          appointed_on=appointed_on, replaces=old)
        audit_record(action="boards.member.replace", actor=signed_in(actor), unit=board.unit,
                     obj=new, before=before,
                     after={"board": board.pk, "replaces": old.pk, "reason": text,
                            **_snapshot(new)})
    return new


def chair_set(*, actor: AnyUser | None, member: BoardMember) -> BoardMember:
    """Make a serving member the board's chair (the former chair stays a member)."""
    with transaction.atomic():
        board = Board.objects.select_for_update().select_related("unit").get(pk=member.board_id)
        member = BoardMember.objects.select_for_update().get(pk=member.pk)
        if member.ended_on is not None:
            raise RuleError(_("Only a serving member may chair the board."), code="ended",
                            field="is_chair")
        if member.is_chair:
            return member
        former = list(board.members.serving().filter(is_chair=True).values_list(
            "pk", flat=True))
        board.members.filter(pk__in=former).update(is_chair=False)
        member.is_chair = True
        member.save(update_fields=["is_chair"])
        audit_record(action="boards.member.chair", actor=signed_in(actor), unit=board.unit,
                     obj=member, before={"chair": former[0] if former else None},
                     after={"chair": member.pk, "full_name": member.full_name})
    return member
