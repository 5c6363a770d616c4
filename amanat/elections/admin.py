"""Back-office screens.  Calendar dates are best changed through the calendar page, which
goes through the services (and so the audit hook); the admin is for setting up rounds."""

from __future__ import annotations

from django.contrib import admin

from amanat.audit.admin import AuditedModelAdmin
from amanat.elections.models import Contest, Election, Milestone, Phase


class ContestInline(admin.TabularInline):
    model = Contest
    extra = 0
    filter_horizontal = ["constituencies"]


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["code", "name", "due", "phase"]


@admin.register(Election)
class ElectionAdmin(AuditedModelAdmin[Election]):
    list_display = ["name", "slug", "election_day"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ContestInline, PhaseInline, MilestoneInline]


@admin.register(Milestone)
class MilestoneAdmin(AuditedModelAdmin[Milestone]):
    list_display = ["name", "election", "code", "due", "phase"]
    list_filter = ["election", "phase"]
    search_fields = ["name", "code"]
