"""Public pages of training (no account): the awareness material for voters and
candidates, and the certificate check.  Mounted at ``training/`` before the staff pages
(amanat/urls.py)."""

from django.urls import path

from amanat.training import views

urlpatterns = [
    path("public/", views.public_courses, name="training_public"),
    path("public/<int:course_id>/", views.public_course, name="training_public_course"),
    path("verify/", views.verify, name="training_verify"),
]
