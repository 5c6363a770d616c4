from django.urls import path

from amanat.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="events"),
    path("export/", views.export, name="export"),
    path("checkpoints/", views.checkpoint_list, name="checkpoints"),
    path("checkpoints/<int:checkpoint_id>.txt", views.checkpoint_text, name="checkpoint"),
]
