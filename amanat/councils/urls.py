from django.urls import path

from amanat.councils import views

app_name = "councils"
urlpatterns = [
    path("", views.council_list, name="list"),
    path("<int:council_id>/", views.council_detail, name="council"),
    path("<int:council_id>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:meeting_id>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:meeting_id>/agenda/add/", views.agenda_add, name="agenda_add"),
    path("meetings/<int:meeting_id>/decisions/add/", views.decision_add, name="decision_add"),
    path("meetings/<int:meeting_id>/agenda.pdf", views.agenda_pdf, name="agenda_pdf"),
    path("decisions/<int:decision_id>/actions/add/", views.action_add, name="action_add"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:action_id>/status/", views.action_status, name="action_status"),
]
