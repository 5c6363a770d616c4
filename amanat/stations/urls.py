from django.urls import path

from amanat.stations import map_views, token_views, views

app_name = "stations"
urlpatterns = [
    path("", views.station_list, name="list"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("import/", views.station_upload, name="import"),
    path("import/<str:import_id>/errors/", views.import_errors, name="import_errors"),
    path("map/", map_views.station_map, name="map"),
    path("map/data/", map_views.map_data, name="map_data"),
    path("readiness/", views.readiness, name="readiness"),
    path("readiness/county/<int:unit_id>/", views.readiness_county, name="readiness_county"),
    path("tokens/", token_views.api_tokens, name="api_tokens"),
    path("tokens/issue/", token_views.api_token_issue, name="api_token_issue"),
    path("tokens/<int:token_id>/revoke/", token_views.api_token_revoke,
         name="api_token_revoke"),
    path("<int:station_id>/", views.station_detail, name="detail"),
    path("<int:station_id>/edit/", views.station_edit, name="edit"),
]
