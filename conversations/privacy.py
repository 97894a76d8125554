"""Incoming messages are personal data, often health data (DESIGN.md invariant 8).

- **Retention.** Conversations whose last message is older than the retention period
  (``VERTEL_CONVERSATIONS_RETENTION_DAYS``, default 180) are deleted with their messages, notes,
  replies and activity by the daily job ``conversations-retention``.
- **Erasure.** :func:`erase_author` deletes everything one person wrote on one network (found by
  their id on the network or their handle), and the conversations left with nothing of anyone
  else. A consent officer does it from the admin, beside the storyteller erasure.
- **Access.** :func:`export_author` gives the same person's messages as JSON for an access
  request (GDPR Art. 15).

Logs name counts and ids, never a handle or a text.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Conversation, Message

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 180


def retention_days():
    return int(settings.VERTEL.get("CONVERSATIONS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def expire(now=None):
    """Delete the conversations with no message in the retention period; return how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=retention_days())
    expired = Conversation.objects.filter(
        Q(last_message_at__lt=cutoff) | Q(last_message_at__isnull=True, created_at__lt=cutoff)
    )
    count = 0
    # In batches, so a first run over years of messages holds no long lock.
    while True:
        batch = list(expired.values_list("pk", flat=True)[:500])
        if not batch:
            break
        with transaction.atomic():
            Conversation.objects.filter(pk__in=batch).delete()
        count += len(batch)
    if count:
        logger.info("Retention: %s conversations older than %s days deleted", count, retention_days())
    return count


def _normalise_handle(value):
    return (value or "").strip().lstrip("@").lower()


def author_messages(network, author):
    """The incoming messages of one person on ``network``, by their network id or handle."""
    author = (author or "").strip()
    if not author:
        return Message.objects.none()
    handle = _normalise_handle(author)
    query = Q(author_external_id=author) | Q(author_handle__iexact=handle) | Q(author_handle__iexact=f"@{handle}")
    return Message.objects.filter(query, account__kind=network, direction=Message.Direction.IN)


def export_author(network, author):
    """Everything stored of one person's messages, for an access request: a JSON-ready dict."""
    rows = author_messages(network, author).select_related("conversation", "account").order_by("created_at", "pk")
    messages = [
        {
            "network": network,
            "account": message.account.name,
            "id_on_network": message.external_id,
            "address": message.permalink,
            "written_at": message.created_at.isoformat(),
            "received_at": message.received_at.isoformat(),
            "author_id": message.author_external_id,
            "handle": message.author_handle,
            "name": message.author_name,
            "profile": message.author_url,
            "visibility": message.visibility,
            "text": message.text,
            "language": message.language,
            "flags": list(message.labels or []),
            "hidden": message.hidden,
            "deleted_on_network": message.deleted,
            "conversation_status": message.conversation.status,
        }
        for message in rows
    ]
    return {
        "exported_at": timezone.now().isoformat(),
        "retention_days": retention_days(),
        "messages": messages,
    }


def erase_author(network, author, *, actor=None):
    """Delete one person's messages on ``network``; return the number of messages deleted.

    A conversation that held nothing but this person's messages (and our replies to them) goes
    entirely, notes and activity included; others keep the rest of the thread.
    """
    with transaction.atomic():
        messages = author_messages(network, author)
        conversation_ids = set(messages.values_list("conversation_id", flat=True))
        count = messages.count()
        messages.delete()
        emptied = (
            Conversation.objects.filter(pk__in=conversation_ids)
            .exclude(messages__direction=Message.Direction.IN)
            .values_list("pk", flat=True)
        )
        emptied = list(emptied)
        Conversation.objects.filter(pk__in=emptied).delete()
    logger.info(
        "Erased %s messages of one author on %s (%s conversations removed) by user #%s",
        count,
        network,
        len(emptied),
        getattr(actor, "pk", None),
    )
    return count
