import time

from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .services import log_auth_event


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session["login_at"] = int(time.time())
        log_auth_event("auth.login", user=self.request.user, ip=_ip(self.request))
        return response

    def form_invalid(self, form):
        log_auth_event("auth.login_failed", username=self.request.POST.get("username", "")[:150], ip=_ip(self.request))
        return super().form_invalid(form)


login_view = LoginView.as_view()


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        log_auth_event("auth.logout", user=request.user, ip=_ip(request))
    auth.logout(request)  # flushes the session: the old key is dead
    return redirect("login")
