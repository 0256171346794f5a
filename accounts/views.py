from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from core.pages import limit, page, render, safe_next, submit

from .forms import AccountSettingsForm, SignInForm, SignUpForm
from .services import account_update

public_page = page(login=False)


@public_page
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    if request.method == "POST":
        limit(request, "sign_up")
    form = SignUpForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(safe_next(request))
    return render(request, "accounts/sign_up.html", {"form": form, "next": safe_next(request, "")})


@page
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    """My name, and the mail I get: meeting summaries, the daily digest and its hour."""
    form = AccountSettingsForm(request.POST or None, instance=request.user)
    if submit(form, lambda data: account_update(user=request.user, **data)):
        messages.success(request, "Settings saved.")
        return redirect("accounts:settings")
    context = {"form": form, "section": "settings"}
    return render(request, "accounts/settings.html", context, status=400 if form.errors else 200)


@method_decorator(public_page, name="dispatch")
class SignInView(auth_views.LoginView):
    """Django's sign-in (it rotates the session key), rate-limited by address and email."""

    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit(request, "sign_in", email=request.POST.get("username", ""))
        return super().post(request, *args, **kwargs)


@method_decorator(public_page, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit(request, "password_reset", email=request.POST.get("email", ""))
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
