"""Telling editors when a post needs a person: it failed for good, or must be removed by hand.

The message goes by email (``core.mail``: one template per message under
``channels/templates/channels/mail/``, in the language active when it is sent) to the story's
owner and to whoever last published it, and, for patient stories, to the consent officer; it is
also written to the dispatch log, so the admin shows it even when no address is known. No secrets
and no personal data of the patient go into these messages: only the story's title, the channel
and the link to the post.
"""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core import mail

logger = logging.getLogger(__name__)


def _last_publisher(page_id):
    from wagtail.models import PageLogEntry

    entry = (
        PageLogEntry.objects.filter(page_id=page_id, action="wagtail.publish", user__isnull=False)
        .select_related("user")
        .order_by("-timestamp", "-pk")
        .first()
    )
    return entry.user if entry else None


def recipients_for(dispatch):
    """Email addresses of the people responsible for the dispatch's story."""
    addresses = set()
    page = dispatch.page
    if page is not None:
        if page.owner_id and page.owner.email:
            addresses.add(page.owner.email)
        publisher = _last_publisher(page.pk)
        if publisher is not None and publisher.email:
            addresses.add(publisher.email)
    if dispatch.patient_story_id and settings.VERTEL.get("CONSENT_OFFICER_EMAIL"):
        addresses.add(settings.VERTEL["CONSENT_OFFICER_EMAIL"])
    return sorted(addresses)


def story_admin_url(dispatch):
    if not dispatch.page_id:
        return ""
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or settings.BASE_URL
    return base.rstrip("/") + reverse("wagtailadmin_pages:edit", args=[dispatch.page_id])


def notify_editors(dispatch, template, context=None):
    """Email the story's editors the message ``channels/mail/<template>``; return the addresses written to.

    Every message knows the story, the channel and the story's address in the admin. Never raises.
    """
    recipients = recipients_for(dispatch)
    if not recipients:
        logger.warning("Dispatch %s: no editor address to notify (%s).", dispatch.pk, template)
        return []
    context = {
        "story": dispatch.page_title,
        "channel": dispatch.account.name,
        "admin_url": story_admin_url(dispatch),
        **(context or {}),
    }
    try:
        mail.send(f"channels/mail/{template}", context, recipients, language=translation.get_language())
    except Exception:  # noqa: BLE001 - a mail server problem must not undo the dispatch's state
        logger.exception("Dispatch %s: the notification email could not be sent.", dispatch.pk)
        return []
    return recipients


def dispatch_failed(dispatch, reason):
    return notify_editors(dispatch, "dispatch_failed", {"reason": reason})


def dispatch_outcome_unknown(dispatch):
    profile = dispatch.account.profile_url or dispatch.account.name
    return notify_editors(dispatch, "dispatch_outcome_unknown", {"profile": profile})


def account_refused(dispatch, reason):
    return notify_editors(dispatch, "account_refused", {"reason": reason})


def manual_removal_needed(dispatch, url, reason=""):
    context = {"url": url or _("(no address known)"), "reason": reason}
    return notify_editors(dispatch, "manual_removal_needed", context)


def retraction_stuck(dispatch, reason):
    context = {
        "attempts": dispatch.retract_attempts,
        "reason": reason,
        "url": dispatch.remote_url or dispatch.remote_id,
    }
    return notify_editors(dispatch, "retraction_stuck", context)
