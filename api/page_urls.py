from django.urls import path

from . import pages

app_name = "integrations"
urlpatterns = [
    path("", pages.integrations, name="list"),
    path("accounts/", pages.create_account, name="create_account"),
    path("accounts/<int:user_id>/tokens/", pages.issue, name="issue"),
    path("tokens/<int:token_id>/revoke/", pages.revoke, name="revoke"),
]
