from django.urls import path

from amanat.operations import views

app_name = "operations"
urlpatterns = [
    # opsdash: the live dashboard, a station's day and the web check-in, the windows.
    path("", views.dashboard, name="dashboard"),
    path("unit/<int:unit_id>/", views.dashboard, name="dashboard_unit"),
    path("unit/<int:unit_id>/data/", views.dashboard_data, name="dashboard_data"),
    path("stations/<int:station_id>/", views.station_day, name="station_day"),
    path("stations/<int:station_id>/checkin/", views.checkin_new, name="checkin"),
    path("windows/", views.windows, name="windows"),
    path("windows/edit/", views.windows_edit, name="windows_edit"),
]
