from django.urls import path

from amanat.geo import views

app_name = "geo"
urlpatterns = [
    path("", views.index, name="index"),
    path("unit/<int:unit_id>/", views.unit_detail, name="unit"),
    path("search/", views.search, name="search"),
    path("basemap.json", views.basemap, name="basemap"),
]
