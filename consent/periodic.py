"""Periodic consent jobs, run by ``manage.py run_schedule`` (every minute, or from cron)."""

import datetime
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import mail
from core.schedule import periodic

from .evidence import record_event
from .models import Consent, ConsentEvent
from .services.withdrawal import withdraw

logger = logging.getLogger(__name__)


@periodic("consent-expiry")
def expire_consents(now=None):
    """Withdraw every consent past its end date, exactly as a signer's withdrawal would; return how many."""
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
    """Tell the editor who asked, once, that a consent ends within the warning period; return how many."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=settings.VERTEL["CONSENT_EXPIRY_WARNING_DAYS"])
    due = Consent.objects.filter(
        withdrawn_at__isnull=True,
        erased_at__isnull=True,
        expiry_warning_sent_at__isnull=True,
        valid_until__gt=now,
        valid_until__lte=horizon,
    ).select_related("request__created_by")
    count = 0
    for consent in due:
        editor = consent.request.created_by
        recipients = sorted(
            {
                address
                for address in (getattr(editor, "email", ""), settings.VERTEL["CONSENT_OFFICER_EMAIL"])
                if address
            }
        )
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
    """The staff warning that a consent ends soon, in the site's language, without personal data.

    It names the consent's reference and the story's id and admin link, not the story's title or the
    signer: mail passes through servers the organisation does not control.
    """
    ends = timezone.localtime(consent.valid_until).strftime("%d-%m-%Y")
    values = {
        "reference": consent.reference,
        "id": consent.story_id,
        "date": ends,
        "url": settings.BASE_URL.rstrip("/") + reverse("wagtailadmin_pages:edit", args=[consent.story_id])
        if consent.story_id
        else settings.BASE_URL,
    }
    mail.send("consent/mail/expiry_warning", values, recipients, language=settings.LANGUAGE_CODE)
