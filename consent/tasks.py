"""Background work of the consent app: mail that must never fail the page that sends it.

A signer who signs while the mail server is down still sees their receipt; the mail waits in the
task queue and is tried again with back-off. What a queued mail says (links with a personal token,
one-time codes, addresses) is sealed with a key derived from ``SECRET_KEY``, so the queue's
database rows hold no token or address in clear.

A message is built by ``core.mail.render`` from its templates (``consent/mail/<name>``) in the
reader's language before it is sealed (``queue_message``); ``queue_mail`` seals a subject and body
made elsewhere (the newsletter's confirmation mail).
"""

import base64
import datetime
import hashlib
import json
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils import timezone
from django_tasks import task

from core import mail
from core.organisation import sender

logger = logging.getLogger(__name__)

MAIL_ATTEMPTS = 8  # tried at once, then after 1, 2, 4 … 64 minutes (about two hours in all)


def _fernet():
    key = hashlib.sha256(b"vertel.consent.mail-queue:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def queue_message(template, context, to, *, language, label, attachments=()):
    """Render ``template`` (``core.mail``) in ``language`` and send it from the task queue, retried.

    ``label`` names the mail in the log without personal data (e.g. ``"consent receipt #12"``).
    ``attachments`` are ``(filename, bytes, mimetype)``. Once rendered, never raises (see ``queue_mail``).
    """
    message = mail.render(template, context, to, language=language)
    _seal_and_enqueue(
        message.subject, message.body, message.to, label, attachments, message.extra_headers, message.from_email
    )


def queue_mail(subject, body, to, *, label, attachments=()):
    """Send a plain-text mail from the task queue, retried while the mail server is unreachable.

    ``label`` names the mail in the log without personal data (e.g. ``"consent receipt #12"``).
    ``attachments`` are ``(filename, bytes, mimetype)``. Never raises: a page that queues a mail
    answers whatever the mail server or the queue does.
    """
    _seal_and_enqueue(subject, body, to, label, attachments, from_email=sender())


def _seal_and_enqueue(subject, body, to, label, attachments, headers=None, from_email=None):
    payload = {
        "from": str(from_email or sender()),
        "subject": str(subject),
        "body": str(body),
        "to": list(to),
        "attachments": [(name, base64.b64encode(data).decode(), mime) for name, data, mime in attachments],
    }
    if headers:
        payload["headers"] = dict(headers)
    sealed = _fernet().encrypt(json.dumps(payload).encode()).decode()
    _enqueue(sealed, label, 1)


def _enqueue(sealed, label, attempt, run_after=None):
    try:
        queued = send_queued_mail
        if run_after is not None:
            queued = queued.using(run_after=run_after)
        queued.enqueue(sealed, label, attempt)
    except Exception:  # noqa: BLE001 - the caller's page must answer; the loss is logged
        logger.exception("Mail %s could not be queued", label)


@task()
def send_queued_mail(sealed, label, attempt=1):
    """Send one sealed mail; on failure queue it again later, up to ``MAIL_ATTEMPTS`` times."""
    from django.core.mail import EmailMessage

    try:
        payload = json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        logger.error("Mail %s cannot be unsealed (SECRET_KEY changed?); dropped", label)
        return "unreadable"
    # Mail sealed before the queue kept headers or the sender has neither (``Content-Language``
    # came with core.mail, the organisation's name as sender with core.organisation).
    sender_address = payload.get("from") or sender()
    headers = payload.get("headers")
    message = EmailMessage(payload["subject"], payload["body"], sender_address, payload["to"], headers=headers)
    for name, data, mime in payload["attachments"]:
        message.attach(name, base64.b64decode(data), mime)
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - SMTP, DNS, TLS, provider API: all are worth a retry
        if attempt >= MAIL_ATTEMPTS:
            logger.error("Mail %s not sent after %s attempts (%s); given up", label, attempt, type(exc).__name__)
            return "failed"
        if not send_queued_mail.get_backend().supports_defer:
            logger.error("Mail %s not sent (%s); this task backend cannot retry later", label, type(exc).__name__)
            return "failed"
        wait = datetime.timedelta(minutes=2 ** (attempt - 1))
        logger.warning("Mail %s not sent (%s); attempt %s again in %s", label, type(exc).__name__, attempt + 1, wait)
        _enqueue(sealed, label, attempt + 1, run_after=timezone.now() + wait)
        return "retrying"
    return "sent"
