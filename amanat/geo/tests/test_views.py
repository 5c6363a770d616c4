"""Geography browse and search pages, through the test viewer_client."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from amanat.accounts.testing import make_personas, sign_in
from amanat.audit.models import Event
from conftest import make_unit

pytestmark = pytest.mark.django_db

ZWNJ = "\u200c"


def search(client, q: str, **extra: str):
    return client.get(reverse("geo:search"), {"q": q, **extra})


def result_names(response) -> list[str]:
    return [hit.unit.name for hit in response.context["hits"]]


# --- province list ---------------------------------------------------------------------


def test_index_lists_provinces_with_county_counts(viewer_client, small_geo):
    response = viewer_client.get(reverse("geo:index"))
    assert response.status_code == 200
    provinces = list(response.context["provinces"])
    assert [p.name for p in provinces] == ["تهران", "کرمان"]
    counts = {p.name: p.n_children for p in provinces}
    assert counts == {"تهران": 1, "کرمان": 2}
    html = response.content.decode()
    assert reverse("geo:unit", args=[small_geo.kerman_province.pk]) in html
    assert ">۸<" in html


def test_index_query_count_is_constant(viewer_client, small_geo, count_queries):
    def get():
        return viewer_client.get(reverse("geo:index"))

    few = count_queries(get)
    for code in range(10, 20):
        make_unit("province", str(code), f"استان {code}", small_geo.iran)
    assert count_queries(get) == few
    assert len(get().context["provinces"]) == 12
    # The page itself: one query beyond what the signed-in shell costs.
    assert few - count_queries(lambda: viewer_client.get(reverse("geo:search"))) == 1


def test_index_without_geography_says_so(client, django_user_model):
    # No geography at all, so no unit to hold a membership: any signed-in user reads /geo/.
    client.force_login(django_user_model.objects.create_user(username="newcomer"))
    response = client.get(reverse("geo:index"))
    assert response.status_code == 200
    assert "import-geo" in response.content.decode()


# --- unit page -------------------------------------------------------------------------


def test_unit_page_shows_breadcrumbs_children_and_facts(viewer_client, small_geo):
    county = small_geo.kerman_county
    response = viewer_client.get(reverse("geo:unit", args=[county.pk]))
    assert response.status_code == 200
    assert [a.name for a in response.context["ancestors"]] == ["ایران", "کرمان"]
    assert [c.name for c in response.context["page"]] == ["بخش مرکزی"]
    html = response.content.decode()
    assert "۸۱۵" in html  # official code in Persian digits
    assert "۳۰٫۲۸۰۰" in html or "۳۰.۲۸۰۰" in html  # latitude
    assert reverse("geo:unit", args=[small_geo.kerman_province.pk]) in html
    assert reverse("geo:unit", args=[small_geo.kerman_central.pk]) in html


def test_unit_page_map_data_island(viewer_client, small_geo):
    response = viewer_client.get(reverse("geo:unit", args=[small_geo.kerman_province.pk]))
    config = response.context["map_config"]
    points = config["points"]
    assert points[0]["self"] is True and points[0]["id"] == small_geo.kerman_province.pk
    assert {p["id"] for p in points[1:]} == {small_geo.kerman_county.pk, small_geo.rafsanjan.pk}
    assert config["tileUrl"] == ""
    html = response.content.decode()
    assert '<script id="unit-points" type="application/json">' in html
    # No inline JavaScript: every other script is a static file.
    assert html.count("<script>") == 0
    assert "onclick" not in html.lower()


def test_unit_page_map_skips_units_without_coordinates(viewer_client, small_geo):
    response = viewer_client.get(reverse("geo:unit", args=[small_geo.rural.pk]))
    points = response.context["map_config"]["points"]
    names = [p["name"] for p in points]
    assert "کرمانشاهان" not in names  # no coordinates
    assert len(points) == 3  # the rural district itself and two placed villages


def test_unit_page_paginates_many_children(viewer_client, small_geo):
    rural = small_geo.rural
    for i in range(130):
        make_unit("village", f"9{i:05d}", f"روستای {i}", rural, lat=30.0, lon=57.0)
    url = reverse("geo:unit", args=[rural.pk])
    first = viewer_client.get(url)
    assert len(first.context["page"].object_list) == 100
    second = viewer_client.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 133 - 100
    assert "?page=2" in first.content.decode()


def test_unit_page_query_count_does_not_grow(viewer_client, small_geo, count_queries):
    url = reverse("geo:unit", args=[small_geo.rural.pk])
    few = count_queries(lambda: viewer_client.get(url))
    for i in range(20):
        make_unit("village", f"8{i:05d}", f"ده {i}", small_geo.rural, lat=30.0, lon=57.0)
    assert count_queries(lambda: viewer_client.get(url)) == few
    # unit, children count, children page, ancestors, map points
    shell = count_queries(lambda: viewer_client.get(reverse("geo:search")))
    assert few - shell == 5


def test_pages_need_sign_in(client, small_geo):
    for url in [
        reverse("geo:index"),
        reverse("geo:unit", args=[small_geo.kerman_county.pk]),
        reverse("geo:search") + "?q=x",
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_missing_unit_is_404(viewer_client, small_geo):
    response = viewer_client.get(reverse("geo:unit", args=[999_999]))
    assert response.status_code == 404
    assert "صفحه پیدا نشد" in response.content.decode()  # our page, in Persian


def test_country_page_has_no_ancestors(viewer_client, small_geo):
    response = viewer_client.get(reverse("geo:unit", args=[small_geo.iran.pk]))
    assert response.status_code == 200
    assert response.context["ancestors"] == []


# --- search ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["كرمان", "کرمان", f"کر{ZWNJ}مان", " کرمان ", "كَرمان", "کر مان"],
    ids=["arabic-kaf", "persian-kaf", "zwnj", "spaces", "diacritic", "inner-space"],
)
def test_search_normalises_the_query(viewer_client, small_geo, query):
    response = search(viewer_client, query)
    assert response.status_code == 200
    names = result_names(response)
    ids = [hit.unit.pk for hit in response.context["hits"]]
    assert small_geo.kerman_province.pk in ids
    assert small_geo.kerman_county.pk in ids
    assert names[:2] == ["کرمان", "کرمان"]


def test_search_finds_zwnj_names_typed_with_a_space_or_nothing(viewer_client, small_geo):
    for query in ["قلعه نو", "قلعهنو", f"قلعه{ZWNJ}نو"]:
        assert result_names(search(viewer_client, query)) == ["قلعه‌نو"], query


def test_search_ranks_prefix_matches_before_contains(viewer_client, small_geo):
    hits = search(viewer_client, "آباد").context["hits"]
    assert hits  # only "contains" matches for this one
    names = result_names(search(viewer_client, "اختیار"))
    assert names == ["اختیارآباد", "اختیارآباد"]
    ranked = result_names(search(viewer_client, "کرمان"))
    # Prefix matches shallow-first: province, county, city, then the village.
    assert ranked == ["کرمان", "کرمان", "کرمان", "کرمانشاهان"]
    make_unit("village", "815010199", "شهرکرمانی", small_geo.rural)
    assert result_names(search(viewer_client, "کرمان"))[-1] == "شهرکرمانی"


def test_search_filters_by_kind(viewer_client, small_geo):
    hits = search(viewer_client, "کرمان", kind="county").context["hits"]
    assert [h.unit.pk for h in hits] == [small_geo.kerman_county.pk]
    # An unknown kind is ignored rather than an error.
    assert len(search(viewer_client, "کرمان", kind="planet").context["hits"]) == 4


def test_search_shows_kind_and_parent_chain(viewer_client, small_geo):
    response = search(viewer_client, "باغین")
    (hit,) = response.context["hits"]
    assert [a.name for a in hit.chain] == ["کرمان", "کرمان", "بخش مرکزی", "اختیارآباد"]
    html = response.content.decode()
    assert "روستا" in html  # kind label, in Persian
    assert "شهرستان کرمان" in html


def test_search_query_count_is_constant(viewer_client, small_geo, count_queries):
    shell = count_queries(lambda: search(viewer_client, ""))
    assert count_queries(lambda: search(viewer_client, "کرمان")) == shell + 2
    for i in range(30):
        make_unit("village", f"7{i:05d}", f"کرمان نو {i}", small_geo.rural)
    assert count_queries(lambda: search(viewer_client, "کرمان")) == shell + 2
    assert len(search(viewer_client, "کرمان").context["hits"]) == 34


def test_search_empty_and_no_match(viewer_client, small_geo):
    empty = search(viewer_client, "")
    assert empty.context["hits"] == []
    assert 'data-testid="search-hint"' in empty.content.decode()
    none = search(viewer_client, "ناموجود")
    assert none.context["hits"] == []
    assert 'data-testid="search-empty"' in none.content.decode()
    # Only invisible characters: nothing to search for.
    assert search(viewer_client, ZWNJ).context["hits"] == []


def test_search_htmx_request_gets_the_fragment_only(viewer_client, small_geo):
    full = search(viewer_client, "کرمان")
    assert "<html" in full.content.decode()
    partial = viewer_client.get(
        reverse("geo:search"), {"q": "کرمان"}, headers={"HX-Request": "true"}
    )
    body = partial.content.decode()
    assert "<html" not in body
    assert 'data-testid="search-results"' in body
    assert "HX-Request" in partial["Vary"]


def test_search_form_works_without_javascript(viewer_client, small_geo):
    html = viewer_client.get(reverse("geo:index")).content.decode()
    assert 'method="get" action="/geo/search/"' in html
    assert 'name="q"' in html
    assert 'hx-get="/geo/search/"' in html


# --- links only to what the reader may open ------------------------------------------


def _unit_links(html: str) -> set[str]:
    return set(re.findall(r'href="(/geo/unit/\d+/)"', html))


@pytest.mark.parametrize("persona", ["gharchak_governor", "police", "inspector"])
def test_a_county_persona_is_linked_only_to_units_it_may_open(client, small_geo, persona):
    """A county's staff read the province list and search every place, but a link to a
    unit out of their scope would be a 404 (and an access.denied audit event): such
    units are named, not linked."""
    user = getattr(make_personas(small_geo), persona)
    sign_in(client, user)
    county = small_geo.gharchak
    pages = [reverse("geo:index"), reverse("geo:unit", args=[county.pk]),
             reverse("geo:search") + "?q=%D8%B1"]  # «ر»: Tehran, Kerman, their places
    links: set[str] = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        links |= _unit_links(response.content.decode())
    assert reverse("geo:unit", args=[county.pk]) in links | set(pages)
    for link in links:
        assert client.get(link).status_code == 200, link
    html = client.get(reverse("geo:index")).content.decode()
    assert "کرمان" in html  # still listed, as text
    assert reverse("geo:unit", args=[small_geo.kerman_province.pk]) not in html
    assert not Event.objects.filter(action="access.denied").exists()
