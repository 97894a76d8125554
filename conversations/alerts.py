"""Crisis alerts: the people on duty hear of a crisis message at once.

``alert_new_crises(message_ids)`` is called after the commit that stored new incoming messages
(``conversations.ingest.store``). For every conversation with new crisis messages among them, each
member of the *On duty for crises* group (the superusers while the group is empty) gets one e-mail
in their admin language (``core.mail``, the templates ``conversations/mail/crisis_alert``): which
account, network and time, the absolute link to the thread in the admin, and the crisis lines of
*Settings → Inbox* in their language.

The e-mail carries no message text and no author (invariant 8: health data never leaves in mail),
so it may go to people who cannot read the account. Each message is alerted at most once: an
:class:`~conversations.models.ActivityEntry` ``crisis_alerted`` names the message, written under a
lock on the conversation in the same transaction as the sending; a second store of the same item, a
retried task or a second worker finds it and sends nothing. When sending fails the transaction rolls
back, so the next call tries again; the log names the conversation only.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from core import mail

from .groups import ON_DUTY_GROUP
from .models import ActivityEntry, Conversation, InboxSettings, Label, Message

logger = logging.getLogger(__name__)

ALERTED = "crisis_alerted"


def on_duty():
    """The active people on duty with an address, or the superusers while nobody is on duty."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="").select_related("wagtail_userprofile")
    people = users.filter(groups__name=ON_DUTY_GROUP).distinct()
    if not people.exists():
        people = users.filter(is_superuser=True)
    return list(people.order_by("pk"))


def admin_language(user):
    profile = getattr(user, "wagtail_userprofile", None)
    preferred = profile.get_preferred_language() if profile else None
    return preferred or settings.LANGUAGE_CODE


def thread_url(conversation):
    base = (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or settings.BASE_URL).rstrip("/")
    return base + reverse("conversations:thread", args=[conversation.pk])


def crisis_messages(message_ids):
    """The incoming crisis messages among ``message_ids``, by conversation: ``{conversation id: [ids]}``."""
    found = {}
    rows = Message.objects.filter(
        pk__in=list(message_ids), direction=Message.Direction.IN, labels__icontains=f'"{Label.CRISIS}"'
    ).values_list("conversation_id", "pk")
    for conversation_id, pk in rows.order_by("created_at", "pk"):
        found.setdefault(conversation_id, []).append(pk)
    return found


def alert_new_crises(message_ids):
    """Alert the people on duty about the crisis messages among ``message_ids``; returns the mails sent."""
    if not message_ids:
        return 0
    sent = 0
    for conversation_id, ids in crisis_messages(message_ids).items():
        try:
            sent += _alert(conversation_id, ids)
        except Exception:  # noqa: BLE001 - one conversation's failure must not stop the others' alerts
            logger.exception("Crisis alert for conversation %s could not be sent; it is tried again.", conversation_id)
    return sent


def _alert(conversation_id, message_ids):
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update().select_related("account").filter(pk=conversation_id).first()
        )
        if conversation is None:
            return 0
        done = set(
            ActivityEntry.objects.filter(conversation=conversation, action=ALERTED).values_list(
                "data__message", flat=True
            )
        )
        new = [pk for pk in message_ids if pk not in done]
        if not new:
            return 0
        for pk in new:
            ActivityEntry.objects.create(conversation=conversation, actor=None, action=ALERTED, data={"message": pk})
        first = Message.objects.filter(pk__in=new).order_by("created_at").values_list("created_at", flat=True).first()
        return _send(conversation, first, len(new))


def _send(conversation, written_at, count):
    from channels.adapters import kind_choices
    from channels.admin_display import local_datetime

    inbox_settings = InboxSettings.load()
    sent = 0
    for person in on_duty():
        language = admin_language(person)
        with translation.override(language):
            written = local_datetime(written_at)
        context = {
            "account": conversation.account.name,
            "network": dict(kind_choices()).get(conversation.account.kind, conversation.account.kind),
            "written_at": written,
            "zone": settings.TIME_ZONE,
            "count": count,
            "kind": conversation.get_kind_display(),
            "link": thread_url(conversation),
            "crisis_lines": inbox_settings.crisis_lines(language),
        }
        sent += mail.send("conversations/mail/crisis_alert", context, [person.email], language=language)
    if not sent:
        logger.warning("Crisis in conversation %s: nobody on duty has an e-mail address.", conversation.pk)
    return sent
