from django.urls import path

from amanat.accounts import views

# Not namespaced: "login" and "logout" are the names Django and the navbar expect.
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="accounts_profile"),
    path("2fa/enrol/", views.otp_enrol, name="accounts_otp_enrol"),
    path("2fa/verify/", views.otp_verify, name="accounts_otp_verify"),
    path("users/<int:user_id>/2fa/reset/", views.otp_reset, name="accounts_otp_reset"),
    path("password/", views.password_change, name="accounts_password_change"),
    path("memberships/", views.membership_list, name="accounts_memberships"),
    path("memberships/grant/", views.membership_grant, name="accounts_membership_grant"),
    path(
        "memberships/<int:membership_id>/", views.membership_detail, name="accounts_membership"
    ),
    path(
        "memberships/<int:membership_id>/revoke/",
        views.membership_revoke,
        name="accounts_membership_revoke",
    ),
]
