"""The consent officer's screen for one person's messages: find, export (access request), erase.

The person is looked up by a POSTed form, never by a query string, so no handle ends up in an
address or an access log. Only consent officers (``consent.erase_person``) may use it.
"""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.admin.auth import permission_denied

from .models import Network
from .privacy import author_messages, erase_author, export_author, retention_days

PERMISSION = "consent.erase_person"


class PersonForm(forms.Form):
    network = forms.ChoiceField(label=gettext_lazy("Network"), choices=Network.choices)
    author = forms.CharField(
        label=gettext_lazy("Handle or id on the network"),
        max_length=500,
        help_text=gettext_lazy("For example @name@instance.social, name.bsky.social, or the id the network gives."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked that these messages are the person's, and they are to be erased."),
        required=False,
    )


def header(title):
    return {
        "page_title": title,
        "header_title": title,
        "header_icon": "user",
        "breadcrumbs_items": [
            {"url": reverse("wagtailadmin_home"), "label": _("Home")},
            {"url": "", "label": title},
        ],
    }


def person_messages_view(request):
    if not request.user.has_perm(PERMISSION):
        return permission_denied(request)
    form = PersonForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        network, author = form.cleaned_data["network"], form.cleaned_data["author"]
        action = request.POST.get("action", "find")
        if action == "export":
            return _export(network, author)
        if action == "erase":
            if not form.cleaned_data["confirm"]:
                form.add_error("confirm", _("Tick the box to confirm the erasure."))
            else:
                count = _erase(request, network, author)
                text = ngettext(
                    "%(count)s message of this person was erased from the inbox.",
                    "%(count)s messages of this person were erased from the inbox.",
                    count,
                )
                messages.success(request, text % {"count": count})
                return redirect("conversations_person")
        found = author_messages(network, author).select_related("account").order_by("-created_at")
    context = {
        "form": form,
        "found": list(found[:200]) if found is not None else None,
        "found_count": found.count() if found is not None else 0,
        "retention_days": retention_days(),
    }
    context.update(header(_("Messages of one person")))
    return TemplateResponse(request, "conversations/admin/privacy/person.html", context)


def _export(network, author):
    data = export_author(network, author)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="messages-{network}-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


def _erase(request, network, author):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    return erase_author(network, author, actor=request.user)
