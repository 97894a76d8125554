"""Storing what the networks give us: idempotent, threaded, classified, and the cursor last.

Every reader (a poll of one stream, a webhook delivery) turns the network's answer into
:class:`Incoming` items and hands them to :func:`store` together with the cursor it would read
from next time. In one transaction :func:`store` files each item under its conversation, skips
the ones it already has (the network's id is unique per account), applies edits and deletions,
classifies new text with the health-data guard, and only then saves the cursor. A crash before the
commit stores nothing and keeps the old cursor, so the next read fetches the same items again; a
crash after it finds them stored. Nothing is lost and nothing is doubled.

Crisis alerts go out after the commit (``conversations.alerts``), once per new crisis message.
"""

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.models import Dispatch

from ..models import Conversation, IngestCursor, Label, Message

TEXT_LIMIT = 20_000


@dataclass
class Incoming:
    """One item as a network reader found it, before it is stored."""

    external_id: str
    created_at: datetime.datetime
    text: str = ""
    kind: str = Conversation.Kind.REPLY
    # The network id of the thread's first item: the top-level comment under our post, the DM
    # conversation, the mention itself. Empty: the item starts its own thread.
    root_external_id: str = ""
    parent_external_id: str = ""
    # The network's id of our post this item answers (``Dispatch.remote_id``), if any.
    our_post_id: str = ""
    author_external_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_url: str = ""
    permalink: str = ""
    language: str = ""
    visibility: str = Message.Visibility.PUBLIC
    external_ref: dict = field(default_factory=dict)
    saved_search_id: int | None = None
    # The network says the item was deleted (Graph ``verb: remove``, LinkedIn COMMENT_DELETE).
    deleted: bool = False
    # The network says it was hidden (Graph ``is_hidden``, Instagram ``hidden``).
    hidden: bool = False
    # Ours: a reply our account wrote outside the inbox (seen in a thread); stored as outgoing.
    ours: bool = False


@dataclass
class StoreResult:
    created: list = field(default_factory=list)  # Message pks, new
    updated: int = 0  # edits and deletions applied
    skipped: int = 0  # already stored, unchanged

    @property
    def count(self):
        return len(self.created)


def store(account, items, *, stream=None, cursor=None, now=None):
    """File ``items`` for ``account``; then save ``cursor`` for ``stream`` (when given). Returns a StoreResult."""
    now = now or timezone.now()
    result = StoreResult()
    with transaction.atomic():
        threads = {}
        for item in items:
            _store_one(account, item, now, threads, result)
        for conversation in threads.values():
            _refresh(conversation)
        if stream is not None:
            save_cursor(account, stream, cursor, now=now)
    if result.created:
        from .. import alerts

        created = list(result.created)
        transaction.on_commit(lambda: alerts.alert_new_crises(created))
    return result


def save_cursor(account, stream, cursor, *, now=None):
    IngestCursor.objects.update_or_create(
        account=account,
        stream=stream,
        defaults={"cursor": cursor or "", "last_read_at": now or timezone.now(), "last_error": ""},
    )


def read_cursor(account, stream):
    row = IngestCursor.objects.filter(account=account, stream=stream).first()
    return row.cursor if row else ""


def _store_one(account, item, now, threads, result):
    external_id = str(item.external_id)[:500]
    existing = Message.objects.filter(account=account, external_id=external_id).first()
    if existing is not None:
        if _apply_change(existing, item):
            result.updated += 1
            threads.setdefault(existing.conversation_id, existing.conversation)
        else:
            result.skipped += 1
        return
    if item.deleted:
        # Removed before we ever saw it: nothing to keep.
        result.skipped += 1
        return
    conversation = _thread_for(account, item, threads)
    labels, reasons, language = _classify(item)
    message = Message(
        conversation=conversation,
        account=account,
        direction=Message.Direction.OUT if item.ours else Message.Direction.IN,
        visibility=item.visibility,
        external_id=external_id,
        external_ref=item.external_ref or {},
        parent_external_id=str(item.parent_external_id or "")[:500],
        author_external_id=str(item.author_external_id or "")[:500],
        author_handle=(item.author_handle or "")[:300],
        author_name=(item.author_name or "")[:300],
        author_url=(item.author_url or "")[:1000],
        text=(item.text or "")[:TEXT_LIMIT],
        permalink=(item.permalink or "")[:1000],
        language=language,
        created_at=item.created_at,
        received_at=now,
        labels=labels,
        reasons=reasons,
        hidden=item.hidden,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Another reader (a webhook beside a poll) stored it a moment ago.
        result.skipped += 1
        return
    threads[conversation.pk] = conversation
    if message.direction == Message.Direction.IN:
        result.created.append(message.pk)


def _apply_change(message, item):
    """An edit or a deletion of an item we have; True when something changed."""
    if item.deleted:
        if message.deleted and not message.text:
            return False
        # The author removed it: so do we (the text is theirs; the fact that it was there stays).
        message.deleted = True
        message.text = ""
        message.labels = []
        message.reasons = []
        message.save(update_fields=["deleted", "text", "labels", "reasons"])
        return True
    changed = []
    if item.hidden != message.hidden:
        message.hidden = item.hidden
        changed.append("hidden")
    text = (item.text or "")[:TEXT_LIMIT]
    if text and text != message.text and not message.deleted:
        message.text = text
        message.labels, message.reasons, message.language = _classify(item)
        changed += ["text", "labels", "reasons", "language"]
    if changed:
        message.save(update_fields=changed)
    return bool(changed)


def _thread_for(account, item, threads):
    root = str(item.root_external_id or item.external_id)[:500]
    conversation = Conversation.objects.filter(account=account, root_external_id=root).first()
    if conversation is not None:
        return conversation
    dispatch = None
    if item.our_post_id:
        dispatch = (
            Dispatch.objects.filter(account=account, remote_id=str(item.our_post_id)).select_related("page").first()
        )
    conversation = Conversation(
        account=account,
        root_external_id=root,
        kind=item.kind,
        dispatch=dispatch,
        story_id=dispatch.page_id if dispatch else None,
        saved_search_id=item.saved_search_id,
    )
    try:
        with transaction.atomic():
            conversation.save()
    except IntegrityError:
        conversation = Conversation.objects.get(account=account, root_external_id=root)
    return conversation


def _classify(item):
    """The guard's labels, reasons and language for an item's text (ours are not classified here)."""
    if item.ours or not (item.text or "").strip():
        return [], [], (item.language or "")[:10]
    from ..guard import classify, reasons

    verdict = classify(item.text, language=item.language or "")
    # Reasons are stored in English (the catalogue's ids) and translated when shown (reasons.shown).
    return list(verdict.labels), reasons.stored(verdict.reasons), (verdict.language or item.language or "")[:10]


def _refresh(conversation):
    """Recompute a conversation's flags, language and times from its messages."""
    incoming = list(
        conversation.messages.filter(direction=Message.Direction.IN).values("labels", "language", "created_at")
    )
    labels = sorted({label for row in incoming for label in (row["labels"] or [])})
    conversation.labels = labels
    conversation.crisis = Label.CRISIS in labels
    conversation.flagged = bool(labels)
    if incoming:
        conversation.first_message_at = min(row["created_at"] for row in incoming)
        conversation.last_message_at = max(row["created_at"] for row in incoming)
        conversation.language = conversation.language or next((r["language"] for r in incoming if r["language"]), "")
    if conversation.status in (Conversation.Status.ANSWERED, Conversation.Status.CLOSED):
        last_out = conversation.messages.filter(direction=Message.Direction.OUT).order_by("-created_at").first()
        if conversation.last_message_at and (last_out is None or last_out.created_at < conversation.last_message_at):
            # Someone wrote again after we answered: the conversation is open again.
            conversation.status = (
                Conversation.Status.NEW if conversation.assignee_id is None else Conversation.Status.ASSIGNED
            )
    conversation.save(
        update_fields=[
            "labels",
            "crisis",
            "flagged",
            "first_message_at",
            "last_message_at",
            "language",
            "status",
            "updated_at",
        ]
    )
