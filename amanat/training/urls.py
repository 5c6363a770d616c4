from django.urls import path

from amanat.training import views

app_name = "training"
urlpatterns = [
    path("", views.course_list, name="courses"),
    path("new/", views.course_new, name="course_new"),
    path("<int:course_id>/", views.course_detail, name="course"),
    path("<int:course_id>/edit/", views.course_edit, name="course_edit"),
    path("<int:course_id>/questions/", views.questions_edit, name="questions"),
    path("<int:course_id>/enrol/", views.course_enrol, name="course_enrol"),
    path("<int:course_id>/assessment/", views.assessment, name="assessment"),
    path("<int:course_id>/sessions/new/", views.session_new, name="session_new"),
    path("<int:course_id>/completions/", views.completions, name="completions"),
    path("<int:course_id>/completions.<str:fmt>", views.completions_export,
         name="completions_export"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/enrol/", views.session_enrol, name="session_enrol"),
    path("sessions/<int:session_id>/attendance/", views.session_attendance,
         name="attendance"),
    path("sessions/<int:session_id>/import/", views.session_import, name="attendance_import"),
    path("sessions/<int:session_id>/complete/", views.session_complete,
         name="session_complete"),
    path("sessions/<int:session_id>/attendance.<str:fmt>", views.session_export,
         name="session_export"),
    path("certificates/<int:completion_id>.pdf", views.certificate, name="certificate"),
]
