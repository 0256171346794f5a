"""The Ask page: a question about a workspace's meetings, answered in place (HTMX)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from core.pages import is_partial, page, render
from workspaces.selectors import membership_get

from . import selectors
from .forms import AskForm


@page
@require_GET
def ask(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = membership_get(user=request.user, workspace_id=workspace_id)
    form = AskForm(request.GET)
    context = {
        "section": "meetings",
        "workspace": membership.workspace,
        "form": form,
        "answer": None,
        "ask_question": request.GET.get("q", ""),
    }
    if request.GET.get("q") is not None:
        context["answer"] = selectors.ask(
            user=request.user, question=request.GET["q"], workspace_id=workspace_id, **form.filters()
        )
    if is_partial(request):
        return render(request, "ask/partials/answer.html", context)
    return render(request, "ask/page.html", context)
