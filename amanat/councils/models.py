"""Security councils (شورای تأمین) and committees: meetings, agendas, decisions, actions.

A council belongs to a county or a province; everything under it (meetings, agenda
items, decisions, action items) is scoped by the council's unit path.  The rule that
matters: serious open cases in the council's subtree are put on every new meeting's
agenda until they are closed (``services.meeting_create``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CouncilKind(models.TextChoices):
    SECURITY_COUNCIL = "security_council", _("Security council")
    SECURITY_COMMITTEE = "security_committee", _("Election security committee")
    EXECUTIVE_BOARD = "executive_board", _("Executive board")
    OTHER = "other", _("Other committee")


class Council(models.Model):
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    # Copied from ``unit``: scope filters are one indexed prefix comparison.
    unit_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=CouncilKind.choices)
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        ordering = ["unit_path", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind", "name"],
                                    name="councils_council_unique"),
        ]
        indexes = [models.Index(fields=["unit_path"], name="councils_council_path")]

    def __str__(self) -> str:
        return self.name


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")


class Meeting(models.Model):
    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("council")
    )
    number = models.PositiveIntegerField(_("meeting number"))
    held_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    # One attendee per line, "name — post or agency": councils seat officials of many
    # agencies, most of whom have no account here.
    attendees = models.TextField(_("attendees"), max_length=4000, blank=True)
    minutes = models.TextField(_("minutes"), max_length=20_000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_on", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["council", "number"],
                                    name="councils_meeting_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.council} #{self.number}"

    def attendee_list(self) -> list[str]:
        return [line.strip() for line in self.attendees.splitlines() if line.strip()]


class AgendaItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="agenda", verbose_name=_("meeting")
    )
    order = models.PositiveIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=300)
    case = models.ForeignKey(
        "incidents.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("case"),
    )
    # Put there by the rule (a serious open case), not by a person.
    automatic = models.BooleanField(_("added by the serious-case rule"), default=False)
    carried_over = models.BooleanField(_("carried over"), default=False)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "order"], name="councils_agenda_order"),
            models.UniqueConstraint(fields=["meeting", "case"],
                                    condition=models.Q(case__isnull=False),
                                    name="councils_agenda_case_once"),
        ]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("meeting")
    )
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions",
        verbose_name=_("agenda item"),
    )
    number = models.PositiveIntegerField(_("decision number"))
    text = models.TextField(_("decision"), max_length=4000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"],
                                    name="councils_decision_number"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, today: datetime.date | None = None) -> ActionItemQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())


class ActionItem(models.Model):
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, related_name="actions", verbose_name=_("decision")
    )
    text = models.TextField(_("action"), max_length=2000)
    owner = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("owner agency"),
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_note = models.TextField(_("completion note"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="councils_action_due")]

    def __str__(self) -> str:
        return self.text[:80]

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on < (today or timezone.localdate())
