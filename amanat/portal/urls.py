"""Public pages (no account) and the field app.  The public URLs are stable: open data
links are copied into other people's scripts (docs/open-data.md)."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("find/", views.station_finder, name="finder"),
    path("find/places.json", views.finder_places, name="finder_places"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/dictionary/", views.dictionary, name="dictionary"),
    path("open-data/stations.<str:fmt>", views.open_stations, name="open_stations"),
    path("open-data/report-statistics.<str:fmt>", views.open_statistics,
         name="open_statistics"),
    path("awareness/", views.awareness, name="awareness"),
    path("field/", views.field_app, name="field"),
    path("field/manifest.webmanifest", views.field_manifest, name="field_manifest"),
    path("field/sw.js", views.field_service_worker, name="field_sw"),
    path("field/stations.json", views.field_stations, name="field_stations"),
    path("field/reports/", views.field_report, name="field_report"),
]
