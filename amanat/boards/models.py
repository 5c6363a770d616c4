"""Boards of an election (issue 14): who sits on them, who chairs, which act appointed them.

* A **board** (``Board``) is one board of one kind at one unit for one election: the
  county executive board, the provincial or the county inspection board, the supervision
  board's representatives. It records the appointing act (number, date, who signed it).
* A **member** (``BoardMember``) is a person on a board: full name, national ID (check
  digit validated), optionally the user account through which their actions in Amanat are
  tied to the board, the chair flag, the day appointed and the day their service ended.
  A member is never deleted: ending a membership and replacing a member keep the history
  (``replaces`` points at the member a replacement took over from).
* Sizes per kind are data with their legal reference (``data/sizes.json``, ``law.py``);
  a board is **complete** when it has exactly that many serving members and a serving
  chair. The database allows one serving chair per board and one serving seat per person.

Scope: every board carries the path of its unit (``unit_path``): a county sees its own
boards, a province its own and its counties'.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BoardKind(models.TextChoices):
    COUNTY_EXECUTIVE = "county_executive", _("County executive board")
    PROVINCE_INSPECTION = "province_inspection", _("Provincial inspection board")
    COUNTY_INSPECTION = "county_inspection", _("County inspection board")
    SUPERVISION = "supervision", _("Supervision board's representatives")


class Board(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="boards", verbose_name=_("election"))
    kind = models.CharField(_("kind"), max_length=24, choices=BoardKind.choices)
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="boards",
                             verbose_name=_("unit"))
    unit_path = models.CharField(max_length=255, editable=False)
    act_number = models.CharField(_("act number"), max_length=64)
    act_date = models.DateField(_("act date"))
    appointed_by = models.CharField(_("appointed by"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("board")
        verbose_name_plural = _("boards")
        ordering = ["unit_path", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["election", "kind", "unit"],
                                    name="boards_one_per_kind_unit"),
        ]
        indexes = [models.Index(fields=["election", "unit_path"], name="boards_scope")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.unit}"


class BoardMemberQuerySet(models.QuerySet["BoardMember"]):
    def serving(self) -> BoardMemberQuerySet:
        return self.filter(ended_on__isnull=True)


class BoardMember(models.Model):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="members",
                              verbose_name=_("board"))
    full_name = models.CharField(_("full name"), max_length=200)
    national_id = models.CharField(_("national ID"), max_length=10)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="board_seats",
                             verbose_name=_("user account"))
    is_chair = models.BooleanField(_("chair"), default=False)
    appointed_on = models.DateField(_("appointed on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaced_by",
                                    verbose_name=_("replaces"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BoardMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("board member")
        verbose_name_plural = _("board members")
        ordering = ["board", "-is_chair", "appointed_on", "pk"]
        constraints = [
            # One serving chair per board.
            models.UniqueConstraint(fields=["board"],
                                    condition=Q(is_chair=True, ended_on__isnull=True),
                                    name="boards_one_serving_chair"),
            # A person holds one serving seat on a board.
            models.UniqueConstraint(fields=["board", "national_id"],
                                    condition=Q(ended_on__isnull=True),
                                    name="boards_one_seat_per_person"),
            # A member who has left is not the chair.
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(is_chair=False),
                                   name="boards_chair_serves"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def serving(self) -> bool:
        return self.ended_on is None
