"""Periodic consent jobs, run by ``manage.py run_schedule`` (every minute, or from cron)."""

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from core import mail
from core.schedule import periodic

from .editor_notices import staff_recipients, story_details
from .evidence import record_event
from .models import Consent, ConsentEvent
from .services.withdrawal import withdraw

logger = logging.getLogger(__name__)


@periodic("consent-expiry")
def expire_consents(now=None):
    """Withdraw every consent past its end date, exactly as a signer's withdrawal would; return how many.

    The story's owner and the editor who asked hear of it as it happens (``withdraw`` calls
    ``consent.editor_notices.notify_ended``, once per consent: a consent already ended is skipped).
    """
    now = now or timezone.now()
    expired = Consent.objects.filter(
        withdrawn_at__isnull=True, erased_at__isnull=True, valid_until__isnull=False, valid_until__lte=now
    )
    count = 0
    for consent in expired.iterator():
        if withdraw(consent, None, reason="expired", actor="system"):
            count += 1
    if count:
        logger.info("%s consents expired and were withdrawn everywhere.", count)
    return count


@periodic("consent-expiry-warning")
def warn_before_expiry(now=None):
    """Tell the owner, the editor who asked and the officer, once, that a consent ends soon; return how many.

    "Soon" is within ``VERTEL["CONSENT_EXPIRY_WARNING_DAYS"]``; ``expiry_warning_sent_at`` makes it once.
    """
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=settings.VERTEL["CONSENT_EXPIRY_WARNING_DAYS"])
    due = Consent.objects.filter(
        withdrawn_at__isnull=True,
        erased_at__isnull=True,
        expiry_warning_sent_at__isnull=True,
        valid_until__gt=now,
        valid_until__lte=horizon,
    ).select_related("request__created_by", "story__owner")
    count = 0
    for consent in due:
        recipients = staff_recipients(consent)
        if recipients:
            try:
                send_expiry_warning(consent, recipients)
            except Exception:  # noqa: BLE001 - one mail server hiccup must not stop the other warnings
                logger.exception("Consent %s: the expiry warning could not be sent; it is tried again.", consent.pk)
                continue
        Consent.objects.filter(pk=consent.pk).update(expiry_warning_sent_at=now)
        record_event(ConsentEvent.Kind.EXPIRY_WARNED, consent=consent, actor="system")
        count += 1
    return count


def send_expiry_warning(consent, recipients):
    """The staff warning that a consent ends soon: each reader in their language (``consent.editor_notices``).

    It names the consent's reference, the story's title and its admin link, what the editor sees in
    the admin; nothing of the signer: mail passes through servers the organisation does not control.
    """
    ends = timezone.localtime(consent.valid_until).strftime("%d-%m-%Y")
    values = {**story_details(consent), "date": ends}
    by_language = {}
    for address, language in recipients:
        by_language.setdefault(language, []).append(address)
    for language, addresses in sorted(by_language.items()):
        mail.send("consent/mail/expiry_warning", values, addresses, language=language)
