"""Telling editors when a post needs a person: it failed for good, or must be removed by hand.

The message goes by email (Django's mail) to the story's owner and to whoever last published it,
and, for patient stories, to the consent officer; it is also written to the dispatch log, so the
admin shows it even when no address is known. No secrets and no personal data of the patient go
into these messages: only the story's title, the channel and the link to the post.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

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


def notify_editors(dispatch, subject, body):
    """Email the story's editors; return the addresses written to. Never raises."""
    recipients = recipients_for(dispatch)
    admin_url = story_admin_url(dispatch)
    if admin_url:
        body = f"{body}\n\n{_('The story in the admin:')} {admin_url}"
    if not recipients:
        logger.warning("Dispatch %s: no editor address to notify (%s).", dispatch.pk, subject)
        return []
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # noqa: BLE001 - a mail server problem must not undo the dispatch's state
        logger.exception("Dispatch %s: the notification email could not be sent.", dispatch.pk)
        return []
    return recipients


def dispatch_failed(dispatch, reason):
    subject = _("Post not sent: %(story)s on %(channel)s") % {
        "story": dispatch.page_title,
        "channel": dispatch.account.name,
    }
    body = _(
        "The post of the story “%(story)s” on %(channel)s was not sent and will not be retried "
        "automatically.\n\nWhat the network said: %(reason)s\n\nFix the cause, then use “Retry” in the "
        "dispatch log."
    ) % {"story": dispatch.page_title, "channel": dispatch.account.name, "reason": reason}
    return notify_editors(dispatch, subject, body)


def dispatch_outcome_unknown(dispatch):
    subject = _("Check whether a post went out: %(story)s on %(channel)s") % {
        "story": dispatch.page_title,
        "channel": dispatch.account.name,
    }
    body = _(
        "Vertel sent the post of the story “%(story)s” to %(channel)s but did not hear back, and this "
        "network cannot be asked whether the post arrived.\n\nLook at the account (%(profile)s). If the post "
        "is there, use “Mark as sent” in the dispatch log and paste its address; if it is not, use “Retry”."
    ) % {
        "story": dispatch.page_title,
        "channel": dispatch.account.name,
        "profile": dispatch.account.profile_url or dispatch.account.name,
    }
    return notify_editors(dispatch, subject, body)


def account_refused(dispatch, reason):
    subject = _("Reconnect %(channel)s: the network refused its token") % {"channel": dispatch.account.name}
    body = _(
        "%(channel)s refused Vertel's credentials while handling the story “%(story)s”.\n\nWhat the network "
        "said: %(reason)s\n\nAn administrator must reconnect the account; then retry the post in the dispatch log."
    ) % {"story": dispatch.page_title, "channel": dispatch.account.name, "reason": reason}
    return notify_editors(dispatch, subject, body)


def manual_removal_needed(dispatch, url, reason=""):
    subject = _("Remove a post by hand: %(story)s on %(channel)s") % {
        "story": dispatch.page_title,
        "channel": dispatch.account.name,
    }
    body = _(
        "The story “%(story)s” must come off %(channel)s, but the network does not let Vertel delete the post. "
        "Please remove it by hand here:\n\n%(url)s\n\nThen confirm the removal in the dispatch log."
    ) % {"story": dispatch.page_title, "channel": dispatch.account.name, "url": url or _("(no address known)")}
    if reason:
        body = f"{body}\n\n{_('What the network said:')} {reason}"
    return notify_editors(dispatch, subject, body)


def retraction_stuck(dispatch, reason):
    subject = _("Removal keeps failing: %(story)s on %(channel)s") % {
        "story": dispatch.page_title,
        "channel": dispatch.account.name,
    }
    body = _(
        "Vertel has tried %(attempts)s times to delete the post of the story “%(story)s” on %(channel)s and keeps "
        "trying every hour.\n\nWhat the network said: %(reason)s\n\nThe post: %(url)s\nYou can also remove it by "
        "hand and confirm the removal in the dispatch log."
    ) % {
        "attempts": dispatch.retract_attempts,
        "story": dispatch.page_title,
        "channel": dispatch.account.name,
        "reason": reason,
        "url": dispatch.remote_url or dispatch.remote_id,
    }
    return notify_editors(dispatch, subject, body)
