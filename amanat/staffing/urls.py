from django.urls import path

from amanat.staffing import views

app_name = "staffing"

urlpatterns = [
    path("", views.county_list, name="counties"),
    path("verify/", views.verify, name="verify"),
    path("county/<int:pk>/", views.county_detail, name="county"),
    path("county/<int:pk>/assign/", views.county_assign, name="county_assign"),
    path("county/<int:pk>/approve/", views.county_approve, name="county_approve"),
    path("county/<int:pk>/roster.xlsx", views.county_roster_xlsx, name="county_roster_xlsx"),
    path("county/<int:pk>/roster.pdf", views.county_roster_pdf, name="county_roster_pdf"),
    path("county/<int:pk>/people/", views.people_list, name="people"),
    path("county/<int:pk>/people/new/", views.person_new, name="person_new"),
    path("county/<int:pk>/people/import/", views.people_import, name="people_import"),
    path("county/<int:pk>/people/export.xlsx", views.people_export, name="people_export"),
    path("person/<int:pk>/", views.person_detail, name="person"),
    path("person/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("station/<int:pk>/", views.station_posts, name="station"),
    path("station/<int:pk>/assign/", views.station_assign, name="station_assign"),
    path("station/<int:pk>/roster.pdf", views.station_roster_pdf, name="station_roster_pdf"),
    path("letter/<int:pk>.pdf", views.letter_pdf, name="letter_pdf"),
]
