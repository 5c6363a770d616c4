"""Reads of the boards: completeness (what the candidate review asks before a board acts),
the serving members, and the scope helpers every page and service fetches through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, get_object_for_user, scope_queryset
from amanat.boards.law import rule
from amanat.boards.models import Board, BoardKind, BoardMember
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit

BOARD = "boards.board"


def _prefixes(unit: AdminUnit) -> list[str]:
    """The unit's path and those of every unit above it."""
    segments = unit.path.split("/")[:-1]
    return ["/".join(segments[:i]) + "/" for i in range(1, len(segments) + 1)]


@dataclass(frozen=True)
class Completeness:
    """How far a board is from being able to act."""

    board: Board | None
    kind: str
    size: int
    serving: int
    has_chair: bool
    legal_reference: str

    @property
    def complete(self) -> bool:
        return self.board is not None and self.serving == self.size and self.has_chair


def completeness(board: Board) -> Completeness:
    counts = board.members.serving().aggregate(n=Count("pk"), chairs=Count("pk", filter=Q(
        is_chair=True)))
    law = rule(board.kind)
    return Completeness(board=board, kind=board.kind, size=law.size, serving=counts["n"],
                        has_chair=counts["chairs"] > 0, legal_reference=law.legal_reference)


def board_of(*, election: Election, kind: str, unit: AdminUnit) -> Board | None:
    """The board of ``kind`` acting for ``unit``: its own, or else the nearest above it
    (a provincial supervision board's representatives act for the province's counties)."""
    boards = {b.unit_path: b for b in Board.objects.filter(
        election=election, kind=kind, unit_path__in=_prefixes(unit)).select_related("unit")}
    for prefix in reversed(_prefixes(unit)):
        if prefix in boards:
            return boards[prefix]
    return None


def completeness_for(*, election: Election, kind: str, unit: AdminUnit) -> Completeness:
    board = board_of(election=election, kind=kind, unit=unit)
    if board is not None:
        return completeness(board)
    law = rule(kind)
    return Completeness(board=None, kind=kind, size=law.size, serving=0, has_chair=False,
                        legal_reference=law.legal_reference)


def board_complete(*, election: Election, kind: str, unit: AdminUnit) -> bool:
    """Whether the board of ``kind`` for ``unit`` (its own or the nearest above) has all
    its members by law and a chair, and so may act."""
    return completeness_for(election=election, kind=kind, unit=unit).complete


def members_of(*, election: Election, kind: str, unit: AdminUnit) -> list[BoardMember]:
    """The serving members of the board of ``kind`` for ``unit``, the chair first."""
    board = board_of(election=election, kind=kind, unit=unit)
    if board is None:
        return []
    return list(board.members.serving().select_related("user"))


def require_complete(*, election: Election, kind: str, unit: AdminUnit) -> None:
    """Refuse (``RuleError``, code ``board_incomplete``) unless the board may act."""
    state = completeness_for(election=election, kind=kind, unit=unit)
    if state.complete:
        return
    names: dict[str, Any] = {"board": BoardKind(kind).label, "unit": unit.name, "size": state.size,
             "serving": state.serving, "reference": state.legal_reference}
    if state.board is None:
        raise RuleError(_("The %(board)s of %(unit)s has not been appointed (%(size)s "
                          "members, %(reference)s). A board acts only when it is complete."),
                        code="board_incomplete", **names)
    if state.serving != state.size:
        raise RuleError(_("The %(board)s of %(unit)s is not complete: it has %(serving)s of "
                          "its %(size)s members (%(reference)s). A board acts only when it "
                          "is complete."), code="board_incomplete", **names)
    raise RuleError(_("The %(board)s of %(unit)s has no chair. A board acts only when it is "
                      "complete."), code="board_incomplete", **names)


# --- scope -----------------------------------------------------------------------------------


def scoped_boards(user: AnyUser, action: str = policy.VIEW) -> QuerySet[Board]:
    return scope_queryset(user, Board.objects.all(), action=action, path_field="unit_path",
                          model_label=BOARD)


def get_board_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> Board:
    return get_object_for_user(user, Board, pk, action=action, path_field="unit_path",
                               model_label=BOARD,
                               queryset=Board.objects.select_related("unit", "election"))


def get_member_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> BoardMember:
    return get_object_for_user(user, BoardMember, pk, action=action,
                               path_field="board__unit_path", model_label=BOARD,
                               queryset=BoardMember.objects.select_related(
                                   "board__unit", "board__election", "user"))
