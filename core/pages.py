"""Glue for the HTMX pages: the one place a MinaError becomes a page.

`page` wraps a view: it sends signed-out people to sign in (an HTMX request gets a
client-side redirect, not a sign-in form swapped into a table row) and renders any
MinaError as `error.html`, or as a small alert in `#flash` for an HTMX partial.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as django_render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_htmx.http import HttpResponseClientRedirect, push_url, reswap, retarget
from django_htmx.middleware import HtmxDetails

from .errors import Conflict, Invalid, MinaError, NotAuthenticated
from .ratelimit import limit_attempts

View = Callable[..., HttpResponse]
T = TypeVar("T")

_HEADINGS = {
    400: "That did not work",
    403: "You don't have permission",
    404: "Not found",
    409: "That can't be done",
    413: "That is too large",
    429: "Too many attempts",
}
_NEXT_STEPS = {
    400: "Go back, check what you entered and try again.",
    403: "Ask a workspace admin to give you a role that allows it.",
    404: "It may have been deleted, or it belongs to a workspace you are not a member of. "
    "Check the link, or ask a workspace admin to invite you.",
    413: "Try a smaller file.",
}
# A code whose own words say it all: (heading, what to do), shown instead of the message.
_CODE_PAGES = {
    "invitation_expired": (
        "This invitation has expired",
        "Invitation links work for a limited time. Ask the person who invited you for a new one.",
    ),
}


def is_partial(request: HttpRequest) -> bool:
    """An HTMX request that wants a fragment (a history restore wants the whole page)."""
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request and not htmx.boosted


def render(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Django's render, for a page or the HTMX fragment of one."""
    response = django_render(request, template, context, status=status)
    # The same URL answers with a fragment or a page: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def push_clean_url(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Put the filters in the address bar without the empty ones (`?q=&status=&since=`)."""
    query = urlencode([(key, str(value)) for key, value in request.GET.items() if value])
    return push_url(response, f"{request.path}?{query}" if query else request.path)


def error_response(request: HttpRequest, error: MinaError) -> HttpResponse:
    if error.code in _CODE_PAGES:
        heading, message = _CODE_PAGES[error.code]
        next_step = ""
    else:
        heading, message = _HEADINGS.get(error.status, "Something went wrong"), error.message
        next_step = _NEXT_STEPS.get(error.status, "")
        if error.status == 403 and "admin" in message:  # the message already says whom to ask
            next_step = ""
    context = {"message": message, "status": error.status, "heading": heading, "next_step": next_step}
    if is_partial(request):
        response = reswap(
            retarget(django_render(request, "partials/error.html", context, status=error.status), "#flash"),
            "innerHTML",
        )
    else:
        response = render(request, "error.html", context, status=error.status)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def page(view: View | None = None, *, login: bool = True) -> Any:
    """Decorate a page view: sign-in required (unless `login=False`), MinaError -> page."""

    def decorate(func: View) -> View:
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if login and not request.user.is_authenticated:
                    raise NotAuthenticated("Sign in to continue.")
                return func(request, *args, **kwargs)
            except NotAuthenticated:
                return _to_sign_in(request)
            except MinaError as error:
                return error_response(request, error)

        return wrapper

    return decorate(view) if view is not None else decorate


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    if is_partial(request):
        # Come back to the page the fragment was on, not to the fragment's URL.
        htmx: HtmxDetails = request.htmx  # type: ignore[attr-defined]
        here = htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(redirect_to_login(here).url)
    return redirect_to_login(request.get_full_path())


def submit(form: forms.BaseForm, action: Callable[[dict[str, Any]], T]) -> T | None:
    """Validate a bound form and run a service on it; a rule it breaks lands on the form."""
    if not form.is_bound or not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except (Invalid, Conflict) as error:
        placed = False
        for field, messages in error.fields.items():
            if field in form.fields:
                form.add_error(field, messages)
                placed = True
        if not placed:
            form.add_error(None, error.message)
        return None


def invalid_form(request: HttpRequest, form: forms.Form) -> HttpResponse:
    """An in-place control sent a form that failed: its first error, as a 400."""
    errors = [str(message) for messages in form.errors.values() for message in messages]
    return error_response(request, Invalid(errors[0] if errors else "Check the form and try again."))


def limit(request: HttpRequest, scope: str, *, email: str = "") -> None:
    """Rate-limit a sensitive POST by address and, when given, by the account it tries."""
    limit_attempts(scope, request, account=email)


def safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else default
