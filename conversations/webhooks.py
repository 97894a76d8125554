"""Public webhook endpoints: Meta (Facebook page ``feed``, Instagram ``comments``/``mentions``) and LinkedIn.

Both networks push what people write, so these views store it at once (idempotently: the item's
network id is unique per account, so a retried delivery, or a delivery beside a poll, stores
nothing twice).

- Meta (fields ``feed``/``comments``/``mentions``, and ``messages``: direct messages in
  ``entry[].messaging[]``): ``GET`` is the subscription handshake (``hub.mode=subscribe``, ``hub.verify_token``
  compared with each Facebook/Instagram account's *webhook verify token*, ``hub.challenge``
  echoed). ``POST`` carries ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with
  the app secret>``, checked in constant time against the app secrets of the accounts before the
  body is read; each entry goes to the account whose page id (``object: page``) or Instagram
  account id (``object: instagram``) it names, and that shares the signing app secret.
- LinkedIn: ``GET ?challengeCode=`` is answered with ``{challengeCode, challengeResponse}``, the
  hex HMAC-SHA256 of the code with the app's client secret; ``POST`` carries ``X-LI-Signature``
  (hex HMAC-SHA256 of the raw body with the client secret, optionally prefixed ``hmacsha256=``).
  LinkedIn retries a delivery every 5 minutes for 8 hours: ``notificationId`` is remembered for
  that long, and the store is idempotent besides.

The views are CSRF-exempt (the networks cannot hold a token; the signature is the proof), rate
limited per client address, answer malformed input with a short 4xx, and log no body: what people
write is personal data (invariant 8).
"""

import contextlib
import hashlib
import hmac
import json
import logging

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.models import ChannelAccount
from core.ratelimit import client_address, over_limit

from .ingest.linkedin import notification_items
from .ingest.meta import facebook_items, instagram_items, messaging_items
from .ingest.store import store

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
RATE_LIMIT = 600  # deliveries per client address per minute
NOTIFICATION_SECONDS = 9 * 3600  # LinkedIn retries for 8 hours
META_OBJECTS = {"page": ("facebook", "page_id"), "instagram": ("instagram", "ig_user_id")}


def refuse(message, status):
    return JsonResponse({"error": str(message)}, status=status)


def limited(request, scope):
    return over_limit(f"conversations-webhook-{scope}", client_address(request), RATE_LIMIT, window=60)


def _secrets(kinds, name):
    """``[(account, secret)]`` of the active accounts of ``kinds`` with credential ``name`` set."""
    found = []
    for account in ChannelAccount.objects.filter(active=True, kind__in=kinds).order_by("pk"):
        try:
            value = str(account.get_credentials().get(name) or "")
        except Exception:  # noqa: BLE001, S112 - unreadable credentials: this account cannot take deliveries
            continue
        if value:
            found.append((account, value))
    return found


def _matches(secret, body, signature):
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, signature)


def signing_secret(candidates, body, signature):
    """The secret among ``candidates`` whose HMAC of ``body`` is ``signature`` (bytes, hex), or None."""
    hit = None
    for secret in dict.fromkeys(secret for _account, secret in candidates):
        # Every candidate is compared, so the time taken says nothing about which one matched.
        if _matches(secret, body, signature) and hit is None:
            hit = secret
    return hit


def _json(body):
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


# -- Meta ---------------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request):
    """Facebook page and Instagram account deliveries (see the module's docstring)."""
    if limited(request, "meta"):
        return refuse(_("Too many requests."), 429)
    if request.method == "GET":
        return _meta_handshake(request)
    if len(request.body) > MAX_BODY:
        return refuse(_("The delivery is too large."), 413)
    header = request.headers.get("X-Hub-Signature-256", "")
    if not header.startswith("sha256="):
        return refuse(_("Bad signature."), 403)
    candidates = _secrets(["facebook", "instagram"], "app_secret")
    secret = signing_secret(candidates, request.body, header.removeprefix("sha256=").strip().lower().encode())
    if secret is None:
        return refuse(_("Bad signature."), 403)
    payload = _json(request.body)
    if payload is None or not isinstance(payload.get("entry"), list):
        return refuse(_("Expected a JSON delivery with entries."), 400)
    kind, id_field = META_OBJECTS.get(payload.get("object"), (None, None))
    if kind is None:
        return HttpResponse(status=200)  # a subscription we do not read: acknowledged, ignored
    accounts = {
        str(account.config.get(id_field) or ""): account
        for account, value in candidates
        if value == secret and account.kind == kind
    }
    batches = []
    try:
        for entry in payload["entry"]:
            if not isinstance(entry, dict):
                continue
            changes = entry.get("changes") if isinstance(entry.get("changes"), list) else []
            messaging = entry.get("messaging") if isinstance(entry.get("messaging"), list) else []
            account = accounts.get(str(entry.get("id") or ""))
            if account is None or not (changes or messaging):
                continue
            changes = [c for c in changes if isinstance(c, dict)]
            direct = messaging_items(account, messaging)
            if kind == "facebook":
                batches.append((account, facebook_items(account, changes, entry.get("time")) + direct, []))
            else:
                mentions = [c.get("value") for c in changes if c.get("field") == "mentions"]
                items = instagram_items(account, changes, entry.get("time")) + direct
                batches.append((account, items, mentions))
    except (AttributeError, TypeError, ValueError, KeyError):
        return refuse(_("The delivery is not in the shape Meta documents."), 400)
    stored = 0
    for account, items, mentions in batches:
        stored += store(account, items).count
        _queue_mentions(account, mentions)
    logger.info("Meta webhook: %s new item(s).", stored)
    return HttpResponse(status=200)


def _meta_handshake(request):
    if request.GET.get("hub.mode") != "subscribe":
        return refuse(_("Expected hub.mode=subscribe."), 400)
    given = request.GET.get("hub.verify_token", "").encode()
    challenge = request.GET.get("hub.challenge", "")
    known = [token for _account, token in _secrets(["facebook", "instagram"], "webhook_verify_token")]
    verified = False
    for token in known:
        verified = hmac.compare_digest(token.encode(), given) or verified
    if not verified or not given:
        return refuse(_("The verify token does not match."), 403)
    if not challenge or len(challenge) > 200:
        return refuse(_("Expected hub.challenge."), 400)
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


def _queue_mentions(account, mentions):
    from .tasks import fetch_instagram_mention

    for value in mentions:
        if isinstance(value, dict) and value.get("comment_id"):
            arguments = (account.pk, str(value["comment_id"]), str(value.get("media_id") or ""))
            transaction.on_commit(lambda arguments=arguments: _enqueue(fetch_instagram_mention, *arguments))


def _enqueue(task, *arguments):
    try:
        task.enqueue(*arguments)
    except Exception:  # noqa: BLE001 - a lost mention is read by the next poll of the post, if it is ours
        logger.exception("An Instagram mention was not queued.")


# -- LinkedIn -----------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def linkedin_webhook(request):
    """LinkedIn organisation social-action notifications (see the module's docstring)."""
    if limited(request, "linkedin"):
        return refuse(_("Too many requests."), 429)
    candidates = _secrets(["linkedin"], "client_secret")
    if request.method == "GET":
        code = request.GET.get("challengeCode", "")
        if not code or len(code) > 200:
            return refuse(_("Expected challengeCode."), 400)
        if not candidates:
            return refuse(_("No LinkedIn account takes webhooks."), 404)
        secret = candidates[0][1]
        response = hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()
        return JsonResponse({"challengeCode": code, "challengeResponse": response})
    if len(request.body) > MAX_BODY:
        return refuse(_("The delivery is too large."), 413)
    signature = request.headers.get("X-LI-Signature", "").strip().lower().removeprefix("hmacsha256=")
    secret = signing_secret(candidates, request.body, signature.encode()) if signature else None
    if secret is None:
        return refuse(_("Bad signature."), 403)
    payload = _json(request.body)
    if payload is None or not isinstance(payload.get("notifications"), list):
        return refuse(_("Expected a JSON delivery with notifications."), 400)
    accounts = {
        f"urn:li:organization:{account.config.get('organization_id', '')}": account
        for account, value in candidates
        if value == secret
    }
    by_account = {}
    for notification in payload["notifications"]:
        if not isinstance(notification, dict):
            continue
        account = accounts.get(str(notification.get("organizationalEntity") or ""))
        if account is None or _seen(account, notification.get("notificationId")):
            continue
        by_account.setdefault(account.pk, (account, []))[1].append(notification)
    batches = []
    try:
        for account, notifications in by_account.values():
            notifications.sort(key=_modified)
            batches.append((account, notification_items(account, notifications), notifications))
    except (AttributeError, TypeError, ValueError, KeyError):
        return refuse(_("The delivery is not in the shape LinkedIn documents."), 400)
    stored = 0
    for account, items, notifications in batches:
        stored += store(account, items).count
        for notification in notifications:
            _remember(account, notification.get("notificationId"))
    logger.info("LinkedIn webhook: %s new item(s).", stored)
    return HttpResponse(status=200)


def _modified(notification):
    value = notification.get("lastModifiedAt")
    return value if isinstance(value, int) else 0


def _notification_key(account, notification_id):
    digest = hashlib.sha256(f"{account.pk}:{notification_id}".encode()).hexdigest()[:32]
    return f"conversations:linkedin-notification:{digest}"


def _seen(account, notification_id):
    if notification_id in (None, ""):
        return False
    try:
        return cache.get(_notification_key(account, notification_id)) is not None
    except Exception:  # noqa: BLE001 - no cache: the store's own idempotency still holds
        return False


def _remember(account, notification_id):
    if notification_id in (None, ""):
        return
    # No cache: the store's own idempotency still holds.
    with contextlib.suppress(Exception):
        cache.set(_notification_key(account, notification_id), 1, NOTIFICATION_SECONDS)
