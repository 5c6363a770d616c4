from django.urls import path

from amanat.operations import verify_views, views, watch_views

app_name = "operations"
urlpatterns = [
    # opswatch: alerts, quality flags and the quality rules.
    path("alerts/", watch_views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", watch_views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/acknowledge/", watch_views.alert_acknowledge,
         name="alert_acknowledge"),
    path("alerts/<int:alert_id>/note/", watch_views.alert_note, name="alert_note"),
    path("alerts/<int:alert_id>/close/", watch_views.alert_close, name="alert_close"),
    path("flags/", watch_views.flag_list, name="flags"),
    path("flags/<int:flag_id>/", watch_views.flag_detail, name="flag"),
    path("flags/<int:flag_id>/verify/", watch_views.flag_verify, name="flag_verify"),
    path("flags/<int:flag_id>/correct/", watch_views.flag_correct, name="flag_correct"),
    path("rules/", watch_views.rule_list, name="rules"),
    path("rules/new/", watch_views.rule_new, name="rule_new"),
    path("rules/<int:rule_id>/edit/", watch_views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/switch/", watch_views.rule_switch, name="rule_switch"),
    # opsdash: the live dashboard, a station's day and the web check-in, the windows.
    path("", views.dashboard, name="dashboard"),
    path("unit/<int:unit_id>/", views.dashboard, name="dashboard_unit"),
    path("unit/<int:unit_id>/data/", views.dashboard_data, name="dashboard_data"),
    path("stations/<int:station_id>/", views.station_day, name="station_day"),
    path("stations/<int:station_id>/checkin/", views.checkin_new, name="checkin"),
    path("windows/", views.windows, name="windows"),
    path("windows/edit/", views.windows_edit, name="windows_edit"),
    # ckdash: the station search (user review 2026-12, F25).
    path("stations/find/", views.station_search, name="station_search"),
]
urlpatterns += [
    # opsverify: the tables checked against the audit log.
    path("verify/", verify_views.verify_runs, name="verify"),
    path("verify/run/", verify_views.verify_start, name="verify_run"),
]
