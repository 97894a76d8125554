"""Listening: the saved searches (``SavedSearch``) read into conversations found by listening.

What a search finds is not addressed to us: each hit becomes its own conversation of kind
``LISTENING`` with ``saved_search`` set (a reply to a hit we already have joins its conversation).

- Mastodon: a hashtag through ``GET /api/v1/timelines/tag/:hashtag`` (``min_id`` cursor, ``limit``
  40, ``Link`` paging), words through ``GET /api/v2/search?type=statuses`` (``min_id``; full-text
  search needs Elasticsearch on the instance and covers only what it may index).
- Bluesky: ``app.bsky.feed.searchPosts`` (``sort=latest``, ``cursor``, ``limit`` 100, ``lang``),
  signed in through the PDS (Bluesky refuses unauthenticated search), paged until a hit already
  stored. A hashtag is searched as ``#tag``.
- Other networks have no public search: ``SavedSearch.clean()`` refuses them.
"""

from ..models import Conversation
from . import base
from .bluesky import PAGE as BLUESKY_PAGE
from .bluesky import BlueskyReader
from .mastodon import MastodonReader, link_param
from .store import read_cursor, store

SEARCHABLE = ("mastodon", "bluesky")
MASTODON_PAGE = 40
MAX_PAGES = 10


def stream_name(search):
    return f"search:{search.pk}"


class MastodonListener(MastodonReader):
    def read_search(self, search):
        stream = stream_name(search)
        cursor = read_cursor(self.account, stream)
        query = search.query.strip().lstrip("#")
        stored = 0
        for _page in range(MAX_PAGES):
            params = {"limit": MASTODON_PAGE, **({"min_id": cursor} if cursor else {})}
            if search.kind == search.Kind.HASHTAG:
                response = self.get(f"/api/v1/timelines/tag/{query}", params)
                statuses = response.json() or []
                newest = link_param(response, "prev", "min_id")
            else:
                response = self.get("/api/v2/search", {**params, "q": query, "type": "statuses"})
                statuses = (response.json() or {}).get("statuses") or []
                newest = None
            if search.language:
                statuses = [s for s in statuses if (s.get("language") or "").startswith(search.language)]
            if not newest and statuses:
                # Search has no Link header; Mastodon's ids grow with time (compared as numbers).
                newest = max((str(s.get("id")) for s in statuses), key=lambda i: (len(i), i))
            newest = newest or cursor
            threader = base.Threader(self.account)
            threader.learn(s.get("in_reply_to_id") for s in statuses)
            items = [
                self.incoming(s, threader, kind=Conversation.Kind.LISTENING, saved_search_id=search.pk)
                for s in reversed(statuses)
            ]
            stored += store(self.account, items, stream=stream, cursor=newest).count
            self.check_budget()
            if len(statuses) < MASTODON_PAGE or newest == cursor:
                break
            cursor = newest
        return stored


class BlueskyListener(BlueskyReader):
    def read_search(self, search):
        from ..models import Message

        stream = stream_name(search)
        first_read = base.cursor_row(self.account, stream) is None
        query = search.query.strip()
        if search.kind == search.Kind.HASHTAG:
            query = "#" + query.lstrip("#")
        found, cursor = [], None
        for _page in range(MAX_PAGES):
            params = {"q": query, "sort": "latest", "limit": BLUESKY_PAGE}
            if search.language:
                params["lang"] = search.language
            if cursor:
                params["cursor"] = cursor
            data = self.xrpc("app.bsky.feed.searchPosts", params)
            posts = data.get("posts") or []
            found += posts
            known = Message.objects.filter(
                account=self.account, external_id__in=[p.get("uri") for p in posts]
            ).exists()
            cursor = data.get("cursor")
            if known or first_read or not cursor or not posts:
                break
        return self._store_posts(
            found,
            stream,
            newest=found[0].get("indexedAt") if found else None,
            saved_search_id=search.pk,
            kind=Conversation.Kind.LISTENING,
        )


LISTENERS = {"mastodon": MastodonListener, "bluesky": BlueskyListener}


def search_streams(account, now=None):
    """``(stream, function)`` for each active saved search of ``account``."""
    listener_class = LISTENERS.get(account.kind)
    searches = list(account.saved_searches.filter(active=True).order_by("pk"))
    if listener_class is None or not searches:
        return
    listener = listener_class(account, now=now)
    for search in searches:
        yield stream_name(search), lambda search=search: listener.read_search(search)
