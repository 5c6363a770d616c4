from django.urls import path

from . import guide, jobs, views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("guide/", guide.guide, name="guide"),
    path("guide/<slug:page>/", guide.guide, name="guide_page"),
    path("jobs/", jobs.my_jobs, name="jobs"),
    path("jobs/<str:pk>/", jobs.job_page, name="job"),
    path("jobs/<str:pk>/status/", jobs.job_status, name="job_status"),
]
