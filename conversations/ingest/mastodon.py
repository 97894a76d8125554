"""Reading a Mastodon account: notifications, the threads under our recent posts, direct messages.

- ``notifications``: ``GET /api/v1/notifications?types[]=mention&types[]=status&types[]=quote``
  with ``min_id`` (the forward cursor: the page just after it), ``limit=80`` (the maximum) and
  ``include_filtered`` (4.3+), paged through the ``Link`` header's ``rel="prev"`` (newer) until a
  page comes back short. The first read takes the newest page only. Each page is stored with the
  ``min_id`` of the next one, so a crash loses nothing and a re-read stores nothing twice.
- ``context:<status id>``: ``GET /api/v1/statuses/:id/context`` of each of our posts sent in the
  last ``CONVERSATIONS_RECENT_DAYS`` days: replies whose author dropped the @mention make no
  notification, but they are in the thread.
- ``direct``: ``GET /api/v1/conversations`` (``min_id`` cursor, ``limit=40``), and the ``context``
  of each conversation's last status for the messages before it.
- HTML ``content`` becomes plain text. Ids are the instance's own (strings); our posts' ids are
  the ``Dispatch.remote_id`` the adapter stored (the status id).
- ``X-RateLimit-Remaining`` below a small reserve pauses the account's streams until
  ``X-RateLimit-Reset``; a 429 does the same.
"""

import re
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from ..models import Conversation, Message
from . import base
from .http import RateLimited, Reader429, mastodon_budget
from .store import Incoming, read_cursor, store

PAGE = 80
DM_PAGE = 40
MAX_PAGES = 25
NOTIFICATION_TYPES = ("mention", "status", "quote")


def link_param(response, rel, name):
    """The ``name`` query parameter of the ``Link`` header's ``rel`` target (Mastodon's paging)."""
    for part in (response.headers.get("Link") or "").split(","):
        found = re.match(r'\s*<([^>]+)>\s*;\s*rel="?([a-z]+)"?', part)
        if found and found.group(2) == rel:
            values = parse_qs(urlsplit(found.group(1)).query).get(name)
            if values:
                return values[0]
    return None


def quoted_id(status):
    """The id of the status ``status`` quotes (Mastodon 4.5+), or None."""
    quote = status.get("quote")
    return ((quote or {}).get("quoted_status") or {}).get("id") if isinstance(quote, dict) else None


class MastodonReader:
    network = "mastodon"

    def __init__(self, account, now=None):
        self.account = account
        self.now = now or timezone.now()
        adapter = account.adapter()
        self.base_url = adapter.instance_url
        self.token = adapter.token
        self.http = Reader429("Mastodon", adapter.timeout, secrets=[self.token])
        self.me = ""

    def get(self, path, params=None):
        response = self.http.request(
            "GET", f"{self.base_url}{path}", params=params, headers={"Authorization": f"Bearer {self.token}"}
        )
        self.budget = mastodon_budget(response)
        return response

    def check_budget(self):
        """After storing a page: stop while the window is nearly used up (read again at its reset)."""
        if getattr(self, "budget", None):
            raise RateLimited(self.budget)

    def streams(self):
        yield "notifications", self.read_notifications
        yield "direct", self.read_direct
        for status_id in base.recent_posts(self.account, self.now):
            yield f"context:{status_id}", lambda status_id=status_id: self.read_context(status_id)

    # -- items --------------------------------------------------------------------------------

    def incoming(self, status, threader, *, kind=None, visibility=None, saved_search_id=None):
        account = status.get("account") or {}
        status_id = str(status.get("id") or "")
        parent = str(status.get("in_reply_to_id") or "")
        quoted = quoted_id(status)
        root, our_post = threader.place(status_id, parent, root_hint=str(quoted or ""))
        if kind is None:
            if status.get("visibility") == "direct":
                kind = Conversation.Kind.DIRECT
            elif quoted and threader.is_ours(quoted):
                kind = Conversation.Kind.QUOTE
            elif our_post:
                kind = Conversation.Kind.REPLY
            else:
                kind = Conversation.Kind.MENTION
        direct = status.get("visibility") == "direct"
        return Incoming(
            external_id=status_id,
            created_at=base.utc(status.get("created_at")),
            text=base.html_to_text(status.get("content")),
            kind=kind,
            root_external_id=root,
            parent_external_id=parent,
            our_post_id=our_post,
            author_external_id=str(account.get("id") or ""),
            author_handle=str(account.get("acct") or ""),
            author_name=str(account.get("display_name") or ""),
            author_url=str(account.get("url") or ""),
            permalink=str(status.get("url") or status.get("uri") or ""),
            language=str(status.get("language") or ""),
            visibility=visibility or (Message.Visibility.DIRECT if direct else Message.Visibility.PUBLIC),
            external_ref={
                "id": status_id,
                "uri": str(status.get("uri") or ""),
                "visibility": str(status.get("visibility") or ""),
                "mentions": [str(m.get("acct") or "") for m in status.get("mentions") or []],
                "spoiler_text": str(status.get("spoiler_text") or ""),
            },
            saved_search_id=saved_search_id,
            ours=bool(self.me) and str(account.get("id") or "") == self.me,
        )

    def _whoami(self):
        if not self.me:
            self.me = str(self.get("/api/v1/accounts/verify_credentials").json().get("id") or "")
        return self.me

    # -- streams ------------------------------------------------------------------------------

    def read_notifications(self):
        stream = "notifications"
        self._whoami()
        cursor = read_cursor(self.account, stream)
        stored = 0
        for _page in range(MAX_PAGES):
            params = [("types[]", t) for t in NOTIFICATION_TYPES] + [("limit", PAGE), ("include_filtered", "true")]
            if cursor:
                params.append(("min_id", cursor))
            response = self.get("/api/v1/notifications", params)
            notifications = response.json() or []
            newest = link_param(response, "prev", "min_id") or (
                str(notifications[0].get("id")) if notifications else None
            )
            statuses = [n["status"] for n in reversed(notifications) if isinstance(n.get("status"), dict)]
            threader = base.Threader(self.account)
            threader.learn([s.get("in_reply_to_id") for s in statuses] + [quoted_id(s) for s in statuses])
            items = []
            for notification in reversed(notifications):
                status = notification.get("status")
                if not isinstance(status, dict):
                    continue
                kind = Conversation.Kind.QUOTE if notification.get("type") == "quote" else None
                items.append(self.incoming(status, threader, kind=kind))
            if not notifications:
                store(self.account, [], stream=stream, cursor=cursor)  # read, nothing new
                break
            result = store(self.account, items, stream=stream, cursor=newest or cursor)
            stored += result.count
            cursor = newest or cursor
            self.check_budget()
            if len(notifications) < PAGE or not cursor:
                break
        return stored

    def read_context(self, status_id):
        response = self.get(f"/api/v1/statuses/{status_id}/context")
        data = response.json() or {}
        descendants = data.get("descendants") or []
        threader = base.Threader(self.account, our_posts=[status_id])
        threader.learn(s.get("in_reply_to_id") for s in descendants)
        items = [self.incoming(s, threader) for s in descendants if str(s.get("id") or "")]
        result = store(self.account, items, stream=f"context:{status_id}", cursor=str(len(descendants)))
        self.check_budget()
        return result.count

    def read_direct(self):
        stream = "direct"
        self._whoami()
        cursor = read_cursor(self.account, stream)
        stored = 0
        for _page in range(MAX_PAGES):
            params = {"limit": DM_PAGE}
            if cursor:
                params["min_id"] = cursor
            response = self.get("/api/v1/conversations", params)
            conversations = response.json() or []
            if not conversations:
                store(self.account, [], stream=stream, cursor=cursor)
                break
            newest = link_param(response, "prev", "min_id") or cursor
            items = []
            for conversation in reversed(conversations):
                last = conversation.get("last_status")
                if not isinstance(last, dict):
                    continue
                context = self.get(f"/api/v1/statuses/{last.get('id')}/context").json() or {}
                chain = [*(context.get("ancestors") or []), last, *(context.get("descendants") or [])]
                chain = [s for s in chain if s.get("visibility") == "direct"]
                threader = base.Threader(self.account)
                threader.learn(s.get("in_reply_to_id") for s in chain)
                for status in chain:
                    items.append(self.incoming(status, threader, kind=Conversation.Kind.DIRECT))
            result = store(self.account, items, stream=stream, cursor=newest)
            stored += result.count
            cursor = newest
            self.check_budget()
            if len(conversations) < DM_PAGE or not cursor:
                break
        return stored
