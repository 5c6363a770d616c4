"""Background recomputes (django-tasks), enqueued by ``atlas.services`` on commit."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from amanat.atlas import recompute as rc
from amanat.core import jobs
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit


@task()
def station_changed(station_id: int) -> bool:
    return rc.atlas_station_changed(station_id=station_id)


@task()
def county_changed(election_id: int, county_id: int) -> None:
    election = Election.objects.filter(pk=election_id).first()
    county = AdminUnit.objects.filter(pk=county_id).first()
    if election is not None and county is not None:
        rc.atlas_county_changed(election=election, county=county)


@task()
def province_changed(election_id: int, province_id: int) -> None:
    election = Election.objects.filter(pk=election_id).first()
    province = AdminUnit.objects.filter(pk=province_id).first()
    if election is not None and province is not None:
        rc.atlas_province_changed(election=election, province=province)


@task()
def recompute(election_id: int, job_id: str | None = None) -> None:
    """The whole atlas of an election; as a job when a person started it from a page."""
    def work(report: jobs.Report) -> str | None:
        election = Election.objects.filter(pk=election_id).first()
        if election is None:
            return None
        result = rc.atlas_recompute(election=election, actor_name="system:atlas")
        return _("%(stations)s stations, %(counties)s counties and %(provinces)s provinces "
                 "were scored.") % {"stations": result.stations, "counties": result.counties,
                                    "provinces": result.provinces}

    jobs.job_run(job_id, work)
