"""Station staffing over HTTP (field devices): ``/api/v1/staffing/stations/{id}/posts``,
the posts of one station and who holds them.

Scoped like the pages: the station through ``selectors.get_station_for_user`` (outside the
caller's scope is 404), and a token bound to stations reaches only those.  National IDs
are always masked (the last four digits): an answer read by GET records nothing, so the
full number is only on the person's page through its audited reveal; mobiles are never
sent.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from amanat.core.api_errors import ErrorOut
from amanat.core.identity import mask_national_id
from amanat.staffing import selectors
from amanat.stations.selectors import token_station_ids

router = Router(tags=["staffing"])


class PostOut(Schema):
    post: str
    slot: int
    filled: bool
    name: str
    national_id: str
    verification_code: str


class StationPostsOut(Schema):
    station: int
    code: str
    name: str
    staffed: bool
    posts: list[PostOut]


@router.get("/stations/{station_id}/posts",
            response={200: StationPostsOut, 401: ErrorOut, 404: ErrorOut},
            url_name="staffing_station_posts",
            summary="The posts of one station and who holds them (404 outside scope)")
def station_posts(request: HttpRequest, station_id: int) -> StationPostsOut:
    bound = token_station_ids(request)
    if bound is not None and station_id not in bound:
        raise Http404("not found")
    station = selectors.get_station_for_user(request.user, station_id)
    posts = []
    for slot in selectors.station_slots(station):
        a = slot.assignment
        nid = a.person.national_id if a else ""
        posts.append(PostOut(
            post=slot.post, slot=slot.slot, filled=a is not None,
            name=a.person.full_name if a else "",
            national_id=mask_national_id(nid),
            verification_code=a.verification_code if a else ""))
    return StationPostsOut(station=station.pk, code=station.code, name=station.name,
                           staffed=all(p.filled for p in posts), posts=posts)
