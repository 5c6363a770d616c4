"""Pages of the boards (issue 14)."""

from django.urls import path

from amanat.boards import views

app_name = "boards"
urlpatterns = [
    path("", views.board_list, name="list"),
    path("new/", views.board_new, name="new"),
    path("<int:board_id>/", views.board_detail, name="detail"),
    path("<int:board_id>/members/new/", views.member_new, name="member_new"),
    path("members/<int:member_id>/replace/", views.member_replace, name="member_replace"),
    path("members/<int:member_id>/end/", views.member_end, name="member_end"),
    path("members/<int:member_id>/chair/", views.member_chair, name="member_chair"),
]
