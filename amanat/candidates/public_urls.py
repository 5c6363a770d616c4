"""Public pages of the final list of candidates (no account): the page, open data (CSV,
JSON) and the printable Persian PDF."""

from django.urls import path

from amanat.candidates import review_views as views

urlpatterns = [
    path("", views.public_final_lists, name="public_final_lists"),
    path("<int:list_id>/", views.public_final_list, name="public_final_list"),
    path("<int:list_id>.csv", views.public_final_list_csv, name="public_final_list_csv"),
    path("<int:list_id>.json", views.public_final_list_json, name="public_final_list_json"),
    path("<int:list_id>.pdf", views.public_final_list_pdf, name="public_final_list_pdf"),
]
