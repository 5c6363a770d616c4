from django.urls import path

from amanat.atlas import views

app_name = "atlas"
urlpatterns = [
    path("", views.national, name="national"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("factors/", views.factors, name="factors"),
    path("factors/edit/", views.factors_edit, name="factors_edit"),
    path("compare/", views.compare, name="compare"),
    path("province/<int:unit_id>/", views.province, name="province"),
    path("province/<int:unit_id>/tier/", views.tier_edit, {"kind": "province"},
         name="province_tier_edit"),
    path("province/<int:unit_id>/atlas.pdf", views.province_pdf, name="province_pdf"),
    path("county/<int:unit_id>/", views.county, name="county"),
    path("county/<int:unit_id>/atlas.pdf", views.county_pdf, name="county_pdf"),
    path("county/<int:unit_id>/assess/", views.assessment_new, name="assessment_new"),
    path("county/<int:unit_id>/tier/", views.tier_edit, name="tier_edit"),
]
