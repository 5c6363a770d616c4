from django.urls import path

from . import guide, views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("guide/", guide.guide, name="guide"),
    path("guide/<slug:page>/", guide.guide, name="guide_page"),
]
