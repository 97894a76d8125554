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
# Ids per lookup query.
CHUNK = 500


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


def store(account, items, *, stream=None, cursor=None, now=None, alert=True):
    """File ``items`` for ``account``; then save ``cursor`` for ``stream`` (when given). Returns a StoreResult.

    A page of items costs a constant number of queries: what is already stored, the threads and our
    posts are each read in one query, new threads and new messages are inserted in one statement
    each, and the threads' flags and times are written back in one more. Only edits and deletions of
    stored items (rare) cost a query each. ``alert=False`` stores without crisis alerts (the demo
    content, which nobody wrote).
    """
    now = now or timezone.now()
    result = StoreResult()
    items = list(items)
    with transaction.atomic():
        batch = _Batch(account, items, now)
        for item in items:
            batch.add(item, result)
        batch.insert(result)
        batch.refresh()
        if stream is not None:
            save_cursor(account, stream, cursor, now=now)
    if result.created and alert:
        from .. import alerts

        created = list(result.created)
        transaction.on_commit(lambda: alerts.alert_new_crises(created))
    return result


def _chunks(values, size=CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Batch:
    """One call of :func:`store`: the rows it reads once, the rows it inserts together."""

    def __init__(self, account, items, now):
        self.account = account
        self.now = now
        self.messages = {}
        for chunk in _chunks({_external_id(item) for item in items}):
            stored = Message.objects.filter(account=account, external_id__in=chunk).select_related("conversation")
            self.messages.update((message.external_id, message) for message in stored)
        self.threads = {}
        for chunk in _chunks({_root(item) for item in items}):
            found = Conversation.objects.filter(account=account, root_external_id__in=chunk)
            self.threads.update((conversation.root_external_id, conversation) for conversation in found)
        self.posts = {}
        for chunk in _chunks({str(item.our_post_id) for item in items if item.our_post_id}):
            found = Dispatch.objects.filter(account=account, remote_id__in=chunk).only("pk", "page_id", "remote_id")
            self.posts.update((dispatch.remote_id, dispatch) for dispatch in found)
        self.new_threads = []
        self.new_messages = []
        # The threads whose flags and times change, by root (each root is one thread).
        self.touched = {}

    def add(self, item, result):
        external_id = _external_id(item)
        existing = self.messages.get(external_id)
        if existing is not None:
            if existing.pk is None:
                result.skipped += 1  # the same item twice in one page
            elif _apply_change(existing, item):
                result.updated += 1
                self.touched[existing.conversation.root_external_id] = existing.conversation
            else:
                result.skipped += 1
            return
        if item.deleted:
            # Removed before we ever saw it: nothing to keep.
            result.skipped += 1
            return
        conversation = self._thread_for(item)
        labels, reasons, language = _classify(item)
        message = Message(
            conversation=conversation,
            account=self.account,
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
            received_at=self.now,
            labels=labels,
            reasons=reasons,
            hidden=item.hidden,
        )
        self.messages[external_id] = message
        self.new_messages.append(message)
        self.touched[conversation.root_external_id] = conversation

    def _thread_for(self, item):
        root = _root(item)
        conversation = self.threads.get(root)
        if conversation is None:
            dispatch = self.posts.get(str(item.our_post_id)) if item.our_post_id else None
            conversation = Conversation(
                account=self.account,
                root_external_id=root,
                kind=item.kind,
                dispatch_id=dispatch.pk if dispatch else None,
                story_id=dispatch.page_id if dispatch else None,
                saved_search_id=item.saved_search_id,
            )
            self.threads[root] = conversation
            self.new_threads.append(conversation)
        return conversation

    def insert(self, result):
        if self.new_threads:
            self._insert_threads()
        if not self.new_messages:
            return
        for message in self.new_messages:
            message.conversation = self.threads[message.conversation.root_external_id]
        try:
            with transaction.atomic():
                Message.objects.bulk_create(self.new_messages)
            inserted = self.new_messages
        except IntegrityError:
            # Another reader (a webhook beside a poll) stored some of them a moment ago: one by one.
            inserted = []
            for message in self.new_messages:
                message.pk = None
                try:
                    with transaction.atomic():
                        message.save()
                except IntegrityError:
                    result.skipped += 1
                else:
                    inserted.append(message)
        result.created.extend(message.pk for message in inserted if message.direction == Message.Direction.IN)

    def _insert_threads(self):
        try:
            with transaction.atomic():
                Conversation.objects.bulk_create(self.new_threads)
        except IntegrityError:
            for conversation in self.new_threads:
                conversation.pk = None
                root = conversation.root_external_id
                try:
                    with transaction.atomic():
                        conversation.save()
                except IntegrityError:
                    # Started a moment ago by another reader: file the items there.
                    found = Conversation.objects.get(account=self.account, root_external_id=root)
                    self.threads[root] = found
                    self.touched[root] = found

    def refresh(self):
        """Recompute the touched threads' flags, language, times and status; write them in one statement."""
        threads = [self.threads[root] for root in self.touched]
        if not threads:
            return
        incoming = {conversation.pk: [] for conversation in threads}
        last_out = {}
        for chunk in _chunks(incoming):
            rows = Message.objects.filter(conversation_id__in=chunk).values_list(
                "conversation_id", "direction", "labels", "language", "created_at"
            )
            for conversation_id, direction, labels, language, created_at in rows:
                if direction == Message.Direction.IN:
                    incoming[conversation_id].append((labels or [], language, created_at))
                elif last_out.get(conversation_id) is None or created_at > last_out[conversation_id]:
                    last_out[conversation_id] = created_at
        for conversation in threads:
            _recompute(conversation, incoming[conversation.pk], last_out.get(conversation.pk), self.now)
        Conversation.objects.bulk_update(threads, REFRESHED_FIELDS)


REFRESHED_FIELDS = ["labels", "crisis", "flagged", "first_message_at", "last_message_at", "language", "status"]
REFRESHED_FIELDS.append("updated_at")

# A person who writes again after these opens the conversation again.
REOPENED_FROM = (Conversation.Status.ANSWERED, Conversation.Status.WAITING, Conversation.Status.CLOSED)


def _recompute(conversation, incoming, last_out, now):
    labels = sorted({label for row in incoming for label in row[0]})
    conversation.labels = labels
    conversation.crisis = Label.CRISIS in labels
    conversation.flagged = bool(labels)
    if incoming:
        conversation.first_message_at = min(row[2] for row in incoming)
        conversation.last_message_at = max(row[2] for row in incoming)
        conversation.language = conversation.language or next((row[1] for row in incoming if row[1]), "")
    wrote_again = conversation.last_message_at and (last_out is None or last_out < conversation.last_message_at)
    if conversation.status in REOPENED_FROM and wrote_again:
        # Someone wrote again after we answered: the conversation is open again.
        conversation.status = Conversation.Status.ASSIGNED if conversation.assignee_id else Conversation.Status.NEW
    conversation.updated_at = now


def _external_id(item):
    return str(item.external_id)[:500]


def _root(item):
    return str(item.root_external_id or item.external_id)[:500]


def save_cursor(account, stream, cursor, *, now=None):
    IngestCursor.objects.update_or_create(
        account=account,
        stream=stream,
        defaults={"cursor": cursor or "", "last_read_at": now or timezone.now(), "last_error": ""},
    )


def read_cursor(account, stream):
    row = IngestCursor.objects.filter(account=account, stream=stream).first()
    return row.cursor if row else ""


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


def _classify(item):
    """The guard's labels, reasons and language for an item's text (ours are not classified here)."""
    if item.ours or not (item.text or "").strip():
        return [], [], (item.language or "")[:10]
    from ..guard import classify, reasons

    verdict = classify(item.text, language=item.language or "")
    # Reasons are stored in English (the catalogue's ids) and translated when shown (reasons.shown).
    return list(verdict.labels), reasons.stored(verdict.reasons), (verdict.language or item.language or "")[:10]
