"""Public newsletter pages: subscribe, confirm, preferences, unsubscribe, archive; the bounce webhook.

The subscribe endpoint behind the footer form is CSRF-exempt, because public pages are cached and
set no cookies; double opt-in, a honeypot field and a rate limit per address digest (no IP is
stored) protect it. The unsubscribe POST is CSRF-exempt too (RFC 8058 one-click: mail providers
post it without a session) and trusts only its personal token.
"""

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.ratelimit import client_address, over_limit

from . import subscriptions
from .forms import PreferencesForm, SubscribeForm
from .models import NewsletterIssue, Subscriber
from .rendering import archive_entries

logger = logging.getLogger(__name__)

SUBSCRIBE_LIMIT = 10  # subscribe posts per address per window
PERSONAL_LIMIT = 60
RATE_WINDOW = 600


def rate_limited(request, scope, limit):
    """Count requests per client address (kept in the cache only as a keyed digest; see VERTEL_TRUSTED_PROXIES).

    While the count cannot be kept, sign-ups (which send mail to any address typed in) are refused;
    a subscriber's own links are let through.
    """
    return over_limit(scope, client_address(request), limit, RATE_WINDOW, when_unavailable=scope == "nl-subscribe")


def personal_page(request, template, context=None, status=200):
    response = render(request, template, context or {}, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _subscribe(request, form, default_source):
    if form.is_bot:
        logger.info("Newsletter: a sign-up with the honeypot field filled was ignored.")
        return
    data = form.cleaned_data
    subscriptions.subscribe(
        data["email"],
        language=data["language"],
        themes=list(data.get("themes") or []),
        source=data.get("source") or default_source,
        source_detail=data.get("source_page") or request.path,
    )


@never_cache
@csrf_exempt
@require_POST
def subscribe_quick(request):
    """The footer form's target (no CSRF token on cached pages, see the module docstring)."""
    if rate_limited(request, "nl-subscribe", SUBSCRIBE_LIMIT):
        return personal_page(request, "newsletter/rate_limited.html", status=429)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return personal_page(request, "newsletter/subscribe.html", {"form": form}, status=400)
    _subscribe(request, form, Subscriber.Source.HOME)
    return personal_page(request, "newsletter/check_mail.html")


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe_page(request):
    """The newsletter's own page, with themes; a normal CSRF-protected form."""
    if request.method == "POST":
        if rate_limited(request, "nl-subscribe", SUBSCRIBE_LIMIT):
            return personal_page(request, "newsletter/rate_limited.html", status=429)
        form = SubscribeForm(request.POST)
        if form.is_valid():
            _subscribe(request, form, Subscriber.Source.PAGE)
            return personal_page(request, "newsletter/check_mail.html")
        return personal_page(request, "newsletter/subscribe.html", {"form": form}, status=400)
    form = SubscribeForm(initial={"source": Subscriber.Source.PAGE})
    return personal_page(request, "newsletter/subscribe.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_view(request, token):
    """GET shows a button (so a mail scanner opening the link confirms nothing); POST confirms."""
    if rate_limited(request, "nl-personal", PERSONAL_LIMIT):
        return personal_page(request, "newsletter/rate_limited.html", status=429)
    subscriber = subscriptions.find_by_confirm_token(token)
    if subscriber is None:
        return personal_page(request, "newsletter/link_invalid.html", status=404)
    if subscriber.confirm_expires_at and subscriber.confirm_expires_at < timezone.now():
        return personal_page(request, "newsletter/link_expired.html", status=410)
    if request.method == "POST":
        subscriptions.confirm(subscriber, via="confirmation link")
        return personal_page(
            request,
            "newsletter/confirmed.html",
            {"preferences_url": subscriptions.personal_url("preferences", subscriber.link_token, subscriber.language)},
        )
    return personal_page(request, "newsletter/confirm.html", {"subscriber": subscriber})


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token):
    """GET: a page with one button. POST (the button, or a mail provider's one-click): unsubscribe at once."""
    subscriber = subscriptions.find_by_link_token(token)
    if subscriber is None:
        if rate_limited(request, "nl-personal", PERSONAL_LIMIT):
            return personal_page(request, "newsletter/rate_limited.html", status=429)
        return personal_page(request, "newsletter/link_invalid.html", status=404)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        subscriptions.unsubscribe(subscriber, via="one-click" if one_click else "unsubscribe page")
        return personal_page(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
    return personal_page(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_view(request, token):
    if rate_limited(request, "nl-personal", PERSONAL_LIMIT):
        return personal_page(request, "newsletter/rate_limited.html", status=429)
    subscriber = subscriptions.find_by_link_token(token)
    if subscriber is None:
        return personal_page(request, "newsletter/link_invalid.html", status=404)
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST, instance=subscriber)
        if form.is_valid():
            form.save()
            saved = True
    else:
        form = PreferencesForm(instance=subscriber)
    context = {"form": form, "subscriber": subscriber, "saved": saved, "token": token}
    return personal_page(request, "newsletter/preferences.html", context)


def archive_index(request):
    language = (request.LANGUAGE_CODE or "nl")[:2]
    # Sent once is sent: an issue stays listed while an editor retries some of its messages.
    issues = NewsletterIssue.objects.filter(sent_at__isnull=False, language=language).order_by("-sent_at")
    return render(request, "newsletter/archive_index.html", {"issues": issues})


def archive_detail(request, pk):
    issue = get_object_or_404(NewsletterIssue, pk=pk, sent_at__isnull=False)
    if issue.language != (request.LANGUAGE_CODE or "nl")[:2]:
        raise Http404
    return render(request, "newsletter/archive_detail.html", {"issue": issue, "entries": archive_entries(issue)})


# How far a bounce report's timestamp may be from the server's clock: older reports are refused,
# so a captured request cannot be replayed later.
WEBHOOK_TOLERANCE_SECONDS = 300


def webhook_signature(secret, timestamp, body):
    """``sha256=`` and the hex HMAC-SHA256, under ``secret``, of the timestamp, a dot and the raw body."""
    return "sha256=" + hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


@csrf_exempt
@require_POST
def bounce_webhook(request):
    """Bounces and complaints from an SMTP setup without an anymail provider.

    Body: JSON ``{"email": ..., "event": "bounced"|"complained"|"rejected", "reason": ...}``; headers
    ``X-Vertel-Timestamp: <Unix time in seconds>`` and ``X-Vertel-Signature: sha256=<hex HMAC-SHA256
    of "<timestamp>.<body>" with NEWSLETTER_WEBHOOK_SECRET>``. A report more than
    ``WEBHOOK_TOLERANCE_SECONDS`` away from the server's clock is refused.
    """
    secret = settings.VERTEL.get("NEWSLETTER_WEBHOOK_SECRET", "")
    if not secret:
        return JsonResponse({"error": _("The bounce webhook is not configured.")}, status=404)
    raw_timestamp = request.headers.get("X-Vertel-Timestamp", "")
    expected = webhook_signature(secret, raw_timestamp, request.body)
    # As bytes: compare_digest raises on a str with non-ASCII characters (a junk header must be a 403).
    signature = request.headers.get("X-Vertel-Signature", "").encode()
    if not raw_timestamp or not hmac.compare_digest(expected.encode(), signature):
        return JsonResponse({"error": _("Bad signature.")}, status=403)
    try:
        age = abs(time.time() - int(raw_timestamp))
    except (ValueError, OverflowError):  # not a number, or too large to compare with the clock
        age = None
    if age is None or age > WEBHOOK_TOLERANCE_SECONDS:
        return JsonResponse(
            {"error": _("The timestamp is missing or too old; sign the report when sending it.")}, status=403
        )
    try:
        payload = json.loads(request.body)
        email, event = str(payload["email"]), str(payload["event"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("Expected JSON with email and event.")}, status=400)
    if event not in {"bounced", "complained", "rejected"}:
        return JsonResponse({"error": _("Unknown event.")}, status=400)
    known = subscriptions.mark_undeliverable(email, f"{event}: {str(payload.get('reason', ''))[:150]}")
    return HttpResponse(status=200 if known else 202)
