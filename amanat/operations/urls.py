from django.urls import path

from amanat.operations import watch_views

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
]
