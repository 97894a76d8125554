"""Reading a LinkedIn organisation page (Community Management API, versioned ``/rest``).

- ``notifications``: ``GET /rest/organizationalEntityNotifications?q=criteria`` for the page's
  ``urn:li:organization:<id>``, ``actions=List(COMMENT,SHARE_MENTION,COMMENT_DELETE)`` and
  ``timeRange=(start:<ms>,end:<ms>)``, paged with ``start``/``count``. LinkedIn keeps
  notifications 60 days, so the range never starts earlier; the cursor is the range's end
  (milliseconds), saved with the items, and the next read overlaps it by a few minutes (items are
  stored once, so the overlap doubles nothing). Webhooks (``ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS``)
  carry the same notifications, with a ``notificationId``.
- ``comments:<post urn>``: ``GET /rest/socialActions/{urn}/comments`` for our recent posts, and
  the comments on a comment (``socialActions/{comment urn}/comments``) when it has any.
- Every call sends ``LinkedIn-Version`` (the account's) and ``X-Restli-Protocol-Version: 2.0.0``;
  URNs in paths and queries are URL-encoded. A 429 (daily quotas, reset at midnight UTC) pauses
  the stream.
- ``COMMENT_DELETE`` reaches the store as a deletion.

The shape of a notification's ``decoratedGeneratedActivity`` (``comment``/``share`` with ``text``)
follows LinkedIn's samples and is not otherwise verified.
"""

import datetime
from urllib.parse import quote

from django.utils import timezone

from channels.adapters.linkedin import linkedin_error, linkedin_message

from ..models import Conversation
from . import base
from .http import Reader429
from .store import Incoming, read_cursor, store

PAGE = 50
MAX_PAGES = 40
WINDOW_DAYS = 60
OVERLAP = datetime.timedelta(minutes=5)
ACTIONS = ("COMMENT", "SHARE_MENTION", "COMMENT_DELETE")


def ms(moment):
    return int(moment.timestamp() * 1000)


class LinkedInReader:
    network = "linkedin"

    def __init__(self, account, now=None):
        self.account = account
        self.now = now or timezone.now()
        self.adapter = account.adapter()
        self.http = Reader429(
            "LinkedIn",
            self.adapter.timeout,
            secrets=[self.adapter.token],
            message_of=linkedin_message,
            error_of=linkedin_error,
        )

    def get(self, path, query=""):
        url = f"{self.adapter.api}{path}" + (f"?{query}" if query else "")
        return self.http.request("GET", url, headers=self.adapter._headers()).json()

    def streams(self):
        yield "notifications", self.read_notifications
        for urn in base.recent_posts(self.account, self.now):
            if urn.startswith("urn:li:"):
                yield f"comments:{urn}", lambda urn=urn: self.read_comments(urn)

    def read_notifications(self):
        stream = "notifications"
        end = self.now
        oldest = end - datetime.timedelta(days=WINDOW_DAYS) + datetime.timedelta(minutes=1)
        cursor = read_cursor(self.account, stream)
        start = oldest
        if cursor.isdigit():
            start = max(oldest, base.utc(int(cursor)) - OVERLAP)
        elements = []
        organization = quote(self.adapter.author, safe="")
        for page in range(MAX_PAGES):
            query = (
                f"q=criteria&organizationalEntity={organization}&actions=List({','.join(ACTIONS)})"
                f"&timeRange=(start:{ms(start)},end:{ms(end)})&start={page * PAGE}&count={PAGE}"
            )
            data = self.get("/rest/organizationalEntityNotifications", query)
            found = data.get("elements") or []
            elements += found
            if len(found) < PAGE:
                break
        elements.sort(key=lambda e: e.get("lastModifiedAt") or 0)
        items = notification_items(self.account, elements)
        return store(self.account, items, stream=stream, cursor=str(ms(end))).count

    def read_comments(self, urn):
        comments = self._comments(urn, depth=0)
        comments.sort(key=lambda c: (c.get("created") or {}).get("time") or 0)
        threader = base.Threader(self.account, our_posts=[urn])
        threader.learn(c.get("parentComment") for c in comments)
        items = [comment_item(c, urn, threader) for c in comments]
        return store(self.account, items, stream=f"comments:{urn}", cursor=str(len(comments))).count

    def _comments(self, urn, depth):
        found = []
        for page in range(MAX_PAGES):
            data = self.get(f"/rest/socialActions/{quote(urn, safe='')}/comments", f"start={page * PAGE}&count={PAGE}")
            elements = data.get("elements") or []
            for element in elements:
                found.append(element)
                summary = element.get("commentsSummary") or {}
                if depth < 3 and (summary.get("totalFirstLevelComments") or 0) > 0:
                    found += self._comments(comment_urn(element), depth + 1)
            if len(elements) < PAGE:
                break
        return found


def comment_urn(comment):
    return str(comment.get("commentUrn") or comment.get("$URN") or comment.get("id") or "")


def comment_item(comment, post_urn, threader):
    urn = comment_urn(comment)
    parent = str(comment.get("parentComment") or post_urn)
    root, our_post = threader.place(urn, parent)
    actor = str(comment.get("actor") or "")
    return Incoming(
        external_id=urn,
        created_at=base.utc((comment.get("created") or {}).get("time")),
        text=str((comment.get("message") or {}).get("text") or ""),
        kind=Conversation.Kind.REPLY if our_post else Conversation.Kind.MENTION,
        root_external_id=root,
        parent_external_id=parent,
        our_post_id=our_post,
        author_external_id=actor,
        permalink=f"https://www.linkedin.com/feed/update/{post_urn}/" if post_urn else "",
        external_ref={"comment_urn": urn, "post_urn": post_urn, "object": str(comment.get("object") or "")},
        ours=actor == f"urn:li:organization:{(threader.account.config or {}).get('organization_id', '')}",
    )


def notification_items(account, elements):
    """Items of LinkedIn's social-action notifications (pulled or pushed by the webhook)."""
    threader = base.Threader(account)
    threader.learn([e.get("sourcePost") for e in elements])
    decorated_parents = [
        ((e.get("decoratedGeneratedActivity") or {}).get("comment") or {}).get("parentComment") for e in elements
    ]
    threader.learn(decorated_parents)
    items = []
    for element in elements:
        action = element.get("action")
        activity = element.get("generatedActivity")
        if action not in ACTIONS or not activity:
            continue
        decorated = element.get("decoratedGeneratedActivity") or {}
        source = str(element.get("sourcePost") or "")
        when = element.get("lastModifiedAt")
        if action == "SHARE_MENTION":
            share = decorated.get("share") or {}
            items.append(
                Incoming(
                    external_id=str(activity),
                    created_at=base.utc(when),
                    text=str(share.get("text") or ""),
                    kind=Conversation.Kind.MENTION,
                    author_external_id=str(element.get("actor") or ""),
                    permalink=f"https://www.linkedin.com/feed/update/{activity}/",
                    external_ref={"share_urn": str(activity)},
                )
            )
            continue
        comment = decorated.get("comment") or {}
        item = comment_item(
            {
                "commentUrn": activity,
                "actor": element.get("actor") or comment.get("owner"),
                "message": {"text": comment.get("text") or ""},
                "created": {"time": when},
                "parentComment": comment.get("parentComment"),
                "object": source,
            },
            source,
            threader,
        )
        item.deleted = action == "COMMENT_DELETE"
        if element.get("notificationId") is not None:
            item.external_ref["notification_id"] = str(element["notificationId"])
        items.append(item)
    return items
