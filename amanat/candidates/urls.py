from django.urls import path

from amanat.candidates import views

app_name = "candidates"
urlpatterns = [
    path("", views.candidate_list, name="list"),
    path("new/", views.candidate_new, name="new"),
    path("<int:candidacy_id>/", views.candidate_detail, name="detail"),
    path("<int:candidacy_id>/confirm/", views.candidate_confirm, name="confirm"),
    path("<int:candidacy_id>/documents/", views.document_upload, name="document_upload"),
    path("<int:candidacy_id>/relatives/", views.relative_new, name="relative_new"),
    path("documents/<int:document_id>/", views.document_download, name="document"),
    path("documents/<int:document_id>/reject/", views.document_reject, name="document_reject"),
    path("constituencies/", views.constituency_list, name="constituencies"),
    path("constituencies/<int:constituency_id>/", views.constituency_edit,
         name="constituency_edit"),
    # Public (no account): online pre-registration in three steps.
    path("register/", views.register_start, name="register"),
    path("register/confirm/", views.register_confirm, name="register_confirm"),
    path("register/documents/", views.register_documents, name="register_documents"),
]
