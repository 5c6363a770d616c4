"""Staff pages of the candidate review (issue 13); the public final list is in
``public_urls``."""

from django.urls import path

from amanat.candidates import review_views as views

app_name = "candidates_review"
urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("inquiries/", views.inquiries, name="inquiries"),
    path("inquiries/send/", views.inquiry_send, name="inquiry_send"),
    path("inquiries/import/", views.inquiry_import, name="inquiry_import"),
    path("inquiries/<int:inquiry_id>/answer/", views.inquiry_answer, name="inquiry_answer"),
    path("<int:candidacy_id>/", views.candidacy_review, name="review"),
    path("<int:candidacy_id>/answers/", views.candidacy_answers, name="answers"),
    path("<int:candidacy_id>/decide/", views.candidacy_decide, name="decide"),
    path("<int:candidacy_id>/complaint/", views.complaint_file, name="complaint_file"),
    path("decisions/<int:decision_id>/check/", views.decision_check, name="check"),
    path("complaints/<int:complaint_id>/decide/", views.complaint_decide,
         name="complaint_decide"),
    path("entries/<int:entry_id>/withdraw/", views.entry_withdraw, name="withdraw"),
    path("final-lists/", views.final_lists, name="final_lists"),
    path("final-lists/<int:contest_id>/<int:constituency_id>/publish/",
         views.final_list_publish, name="publish"),
]
