from django.urls import path

from amanat.incidents import dashboard_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.case_list, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/step/<slug:step>/", views.case_step, name="case_step"),
    path("cases/<int:case_id>/unlock/", views.case_unlock, name="case_unlock"),
    path("cases/<int:case_id>/evidence/", views.case_evidence, name="case_evidence"),
    path("cases/<int:case_id>/candidate/", views.case_candidate, name="case_candidate"),
    path("candidates/<int:candidacy_id>/cases/", views.candidate_cases, name="candidate_cases"),
    path("dashboard/", dashboard_views.case_dashboard, name="dashboard"),
    path("map/", dashboard_views.case_map, name="map"),
    path("map/data/", dashboard_views.case_map_data, name="map_data"),
    path("reports/", views.report_list, name="reports"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("reports/<int:report_id>/open-case/", views.report_open_case, name="report_open_case"),
    path("reports/<int:report_id>/attach/", views.report_attach, name="report_attach"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("categories/", views.category_list, name="categories"),
    path("categories/<int:category_id>/", views.category_edit, name="category_edit"),
]
