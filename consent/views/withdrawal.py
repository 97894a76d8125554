"""The withdrawal pages: withdraw by a personal link, and ask for a new link when it is lost."""

import logging

from django import forms
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.ratelimit import over_limit

from ..hooks import channel_labels
from ..models import Consent, hash_token, new_token
from ..notices import notify_co_signers, notify_withdrawal, send_new_withdrawal_link
from ..receipt import story_title
from ..services.withdrawal import co_consents, find_by_withdrawal_token, other_language_consents, withdraw
from .personal import client_ip, guess_refused, personal_page, rate_limited

logger = logging.getLogger(__name__)


class WithdrawForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Withdraw only from"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave everything unticked to withdraw from every channel."),
    )

    all_versions = forms.BooleanField(
        label=gettext_lazy("Also withdraw my consent for the other language versions of this story"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, active_channels=(), other_versions=False, **kwargs):
        super().__init__(*args, **kwargs)
        labels = channel_labels()
        self.fields["channels"].choices = [(key, labels.get(key, key)) for key in active_channels]
        if not other_versions:
            del self.fields["all_versions"]


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw_view(request, token):
    consent = find_by_withdrawal_token(token)
    if consent is None:
        if guess_refused(request, "withdraw"):
            return personal_page(request, "consent/rate_limited.html", {}, status=429)
        return personal_page(request, "consent/link_invalid.html", {}, status=404)
    # A valid link's withdrawal is never refused by a limit; only viewing it over and over is.
    if request.method != "POST" and rate_limited(request, "withdraw-link", token):
        return personal_page(request, "consent/rate_limited.html", {}, status=429)
    active = consent.active_channels if consent.withdrawn_at is None else []
    if not active:
        return personal_page(
            request,
            "consent/withdraw_done.html",
            {"consent": consent, "already": True, "title": story_title(consent)},
        )
    other_versions = list(other_language_consents(consent))
    co_signed = co_consents(consent).exclude(request__signer_email__iexact=consent.request.signer_email).exists()
    form = WithdrawForm(
        request.POST if request.method == "POST" else None,
        active_channels=active,
        other_versions=bool(other_versions),
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["channels"] or None
        evidence = {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500]}
        co_signers = [other for other in co_consents(consent) if other.request.signer_email]
        withdrawn = withdraw(consent, chosen, reason="withdrawn", actor="signer", **evidence)
        consent.refresh_from_db()
        notify_withdrawal(consent, withdrawn)
        notify_co_signers(consent, co_signers)
        versions_withdrawn = []
        if form.cleaned_data.get("all_versions"):
            for other in other_versions:
                # Every channel of the other version: "my story in every language" is one no.
                keys = withdraw(other, None, reason="withdrawn", actor="signer", **evidence)
                if keys:
                    other.refresh_from_db()
                    notify_withdrawal(other, keys)
                    versions_withdrawn.append(other)
        labels = channel_labels()
        return personal_page(
            request,
            "consent/withdraw_done.html",
            {
                "consent": consent,
                "title": story_title(consent),
                "withdrawn": [labels.get(key, key) for key in withdrawn],
                "versions_withdrawn": versions_withdrawn,
            },
        )
    labels = channel_labels()
    return personal_page(
        request,
        "consent/withdraw.html",
        {
            "consent": consent,
            "title": story_title(consent),
            "form": form,
            "active": [labels.get(key, key) for key in active],
            "other_versions": other_versions,
            "co_signed": co_signed,
        },
    )


class LostLinkForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("The email address you signed with"), max_length=254)


@never_cache
@require_http_methods(["GET", "POST"])
def lost_withdrawal_link_view(request):
    """ "Lost your withdrawal link?": a fresh link for every active consent, sent to the address on file.

    The answer is the same whether or not the address is known, so the page reveals nothing; only the
    mailbox on file receives a link. The old link stops working, as it may be what was lost.
    """
    form = LostLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        if rate_limited(request, "withdraw-lost", when_unavailable=True) or over_limit(
            "withdraw-lost-mail", email, 3, 3600, when_unavailable=True
        ):
            return personal_page(request, "consent/rate_limited.html", {}, status=429)
        for consent in Consent.objects.active().select_related("request").filter(request__signer_email__iexact=email):
            token = new_token()
            Consent.objects.filter(pk=consent.pk).update(withdrawal_token_hash=hash_token(token))
            send_new_withdrawal_link(consent, token)
            logger.info("New withdrawal link queued for consent #%s", consent.pk)
        return personal_page(request, "consent/withdraw_lost.html", {"sent": True})
    return personal_page(request, "consent/withdraw_lost.html", {"form": form})
