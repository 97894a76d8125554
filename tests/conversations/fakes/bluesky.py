"""A Bluesky PDS that also answers what the inbox reads.

Shaped after the lexicons app.bsky.notification.listNotifications (``reasons``, ``limit`` 1-100,
default 50, an opaque ``cursor``, newest first), app.bsky.feed.getPostThread (``uri``, ``depth``,
``parentHeight``; ``threadViewPost`` nodes with ``post`` and ``replies``), app.bsky.feed.searchPosts
(``q``, ``sort``, ``lang``, ``limit`` ≤ 100, ``cursor``; signed-in callers only, as Bluesky's AppView
since 2025) and chat.bsky.convo.listConvos / getMessages (only with the header
``atproto-proxy: did:web:api.bsky.chat#bsky_chat``, and only for an app password with DM access).

Seed with :meth:`add_post` (a reply, a mention or a quote by someone else: it makes the
notification our account would get) and :meth:`add_chat`. :meth:`rate_limit_next` answers 429
with Bluesky's ``ratelimit-*`` headers (the reset in Unix seconds).
"""

import datetime
import time

from tests.channels.fakes.bluesky import FakeBluesky as PostingBluesky
from tests.channels.fakes.bluesky import cid_of

CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"


def iso(moment):
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeBluesky(PostingBluesky):
    routes = [
        ("GET", r"/xrpc/app\.bsky\.notification\.listNotifications", "list_notifications"),
        ("GET", r"/xrpc/app\.bsky\.feed\.getPostThread", "get_post_thread"),
        ("GET", r"/xrpc/app\.bsky\.feed\.searchPosts", "search_posts"),
        ("GET", r"/xrpc/chat\.bsky\.convo\.listConvos", "list_convos"),
        ("GET", r"/xrpc/chat\.bsky\.convo\.getMessages", "get_messages"),
        *PostingBluesky.routes,
    ]

    def reset_state(self):
        super().reset_state()
        self.others = {}  # uri -> post view of someone else's post
        self.notes = []  # notifications, oldest first
        self.convos = {}  # id -> {"members": [...], "messages": [...]}
        self.dm_access = True
        self.clock = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
        self.rev = 0

    # -- seeding --------------------------------------------------------------------------------

    def profile(self, name):
        return {
            "did": f"did:plc:{name.lower():0<24}"[:32],
            "handle": f"{name.lower()}.bsky.social",
            "displayName": name.title(),
            "labels": [],
        }

    def tick(self):
        self.clock += datetime.timedelta(minutes=1)
        return self.clock

    def our_post(self, uri):
        """Our post (made through createRecord) as a post view."""
        rkey = uri.rsplit("/", 1)[-1]
        stored = self.posts[rkey]
        return {
            "uri": stored["uri"],
            "cid": stored["cid"],
            "author": {"did": self.did, "handle": self.handle, "displayName": "Zorg", "labels": []},
            "record": stored["value"],
            "indexedAt": stored["value"].get("createdAt"),
            "replyCount": 0,
            "labels": [],
        }

    def view(self, uri):
        if uri in self.others:
            return self.others[uri]
        rkey = uri.rsplit("/", 1)[-1]
        return self.our_post(uri) if rkey in self.posts and uri.startswith(f"at://{self.did}/") else None

    def add_post(self, text, *, author="anna", reply_to=None, quote_of=None, mention=False, notify=True, lang="nl"):
        """Someone else's post; returns its uri. ``reply_to``: the uri it answers."""
        with self.lock:
            person = self.profile(author)
            created = self.tick()
            rkey = f"3m{self.new_id():011d}"
            uri = f"at://{person['did']}/app.bsky.feed.post/{rkey}"
            record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": iso(created), "langs": [lang]}
            reason = "mention" if mention else None
            if reply_to:
                parent = self.view(reply_to)
                parent_reply = (parent["record"].get("reply") or {}) if parent else {}
                root = parent_reply.get("root") or {"uri": parent["uri"], "cid": parent["cid"]}
                record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
                reason = (
                    "reply"
                    if parent["author"]["did"] == self.did or root["uri"].startswith(f"at://{self.did}/")
                    else reason
                )
            if quote_of:
                quoted = self.view(quote_of)
                record["embed"] = {
                    "$type": "app.bsky.embed.record",
                    "record": {"uri": quoted["uri"], "cid": quoted["cid"]},
                }
                reason = "quote"
            if mention:
                start = len(text.encode())
                record["text"] = f"{text} @{self.handle}"
                record["facets"] = [
                    {
                        "index": {"byteStart": start + 1, "byteEnd": len(record["text"].encode())},
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": self.did}],
                    }
                ]
            view = {
                "uri": uri,
                "cid": cid_of(uri.encode(), codec=0x71),
                "author": person,
                "record": record,
                "indexedAt": iso(created),
                "replyCount": 0,
                "labels": [],
            }
            self.others[uri] = view
            if notify and reason:
                self.notes.append({**view, "reason": reason, "isRead": False, "reasonSubject": reply_to or quote_of})
        return uri

    def add_chat(self, text, *, author="bert", convo=None, ours=False):
        """A chat message in conversation ``convo`` (made when new); returns the convo id."""
        with self.lock:
            person = self.profile(author)
            convo = convo or f"convo-{person['handle'].split('.')[0]}"
            thread = self.convos.setdefault(
                convo,
                {"members": [{"did": self.did, "handle": self.handle, "displayName": "Zorg"}, person], "messages": []},
            )
            self.rev += 1
            thread["messages"].append(
                {
                    "$type": "chat.bsky.convo.defs#messageView",
                    "id": f"msg{self.new_id():08d}",
                    "rev": f"22{self.rev:011d}",
                    "text": text,
                    "sender": {"did": self.did if ours else person["did"]},
                    "sentAt": iso(self.tick()),
                }
            )
        return convo

    def rate_limit_next(self, seconds, *, match=None):
        reset = int(time.time() + seconds)
        self.fail_next(
            429,
            match=match,
            body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            headers={
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            },
        )

    # -- answers --------------------------------------------------------------------------------

    def _limit(self, request, default=50, maximum=100):
        try:
            value = int(request.query.get("limit") or default)
        except ValueError:
            return None
        return value if 1 <= value <= maximum else None

    def _cursor_page(self, rows, request, key, default=50):
        """Newest first, ``limit`` at a time; the cursor is the sort key of the last row (opaque to callers)."""
        limit = self._limit(request, default)
        if limit is None:
            return None, None
        rows = sorted(rows, key=key, reverse=True)
        cursor = request.query.get("cursor")
        if cursor:
            rows = [r for r in rows if key(r) < cursor]
        page = rows[:limit]
        more = len(rows) > limit
        return page, (key(page[-1]) if page and more else None)

    def invalid(self, message):
        return 400, {"error": "InvalidRequest", "message": message}

    def list_notifications(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        reasons = request.query.get("reasons") or []
        reasons = [reasons] if isinstance(reasons, str) else reasons
        with self.lock:
            rows = [n for n in self.notes if not reasons or n["reason"] in reasons]
        page, cursor = self._cursor_page(rows, request, key=lambda n: n["indexedAt"] + n["uri"])
        if page is None:
            return self.invalid("limit must be between 1 and 100")
        body = {"notifications": page, "priority": False, "seenAt": iso(self.clock)}
        if cursor:
            body["cursor"] = cursor
        return 200, body

    def get_post_thread(self, request):
        uri = request.query.get("uri") or ""
        root = self.view(uri)
        if root is None:
            return 400, {"error": "NotFound", "message": f"Post not found: {uri}"}
        depth = int(request.query.get("depth") or 6)

        def node(view, level):
            replies = []
            if level < depth:
                children = [
                    p
                    for p in self.others.values()
                    if ((p["record"].get("reply") or {}).get("parent") or {}).get("uri") == view["uri"]
                ]
                replies = [node(child, level + 1) for child in sorted(children, key=lambda p: p["indexedAt"])]
            return {"$type": "app.bsky.feed.defs#threadViewPost", "post": view, "replies": replies}

        with self.lock:
            return 200, {"thread": node(root, 0)}

    def search_posts(self, request):
        denied = self._auth(request)
        if denied:
            return 403, {"error": "Forbidden", "message": "Search requires authentication"}
        words = (request.query.get("q") or "").lower().split()
        lang = request.query.get("lang")
        with self.lock:
            rows = [
                p
                for p in self.others.values()
                if words
                and all(w in p["record"]["text"].lower() for w in words)
                and (not lang or lang in (p["record"].get("langs") or []))
            ]
        page, cursor = self._cursor_page(rows, request, key=lambda p: p["indexedAt"] + p["uri"], default=25)
        if page is None:
            return self.invalid("limit must be between 1 and 100")
        body = {"posts": page, "hitsTotal": len(rows)}
        if cursor:
            body["cursor"] = cursor
        return 200, body

    def _chat(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        if request.header("atproto-proxy") != CHAT_PROXY:
            return 501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}
        if not self.dm_access:
            return 400, {"error": "InvalidToken", "message": "Bad token method"}
        return None

    def list_convos(self, request):
        refused = self._chat(request)
        if refused:
            return refused
        with self.lock:
            rows = [
                {
                    "id": convo_id,
                    "rev": convo["messages"][-1]["rev"],
                    "members": convo["members"],
                    "lastMessage": convo["messages"][-1],
                    "muted": False,
                    "unreadCount": len(convo["messages"]),
                }
                for convo_id, convo in self.convos.items()
                if convo["messages"]
            ]
        page, cursor = self._cursor_page(rows, request, key=lambda c: c["rev"])
        if page is None:
            return self.invalid("limit must be between 1 and 100")
        return 200, {"convos": page, **({"cursor": cursor} if cursor else {})}

    def get_messages(self, request):
        refused = self._chat(request)
        if refused:
            return refused
        convo = self.convos.get(request.query.get("convoId") or "")
        if convo is None:
            return 400, {"error": "InvalidRequest", "message": "Convo not found"}
        page, cursor = self._cursor_page(list(convo["messages"]), request, key=lambda m: m["rev"])
        if page is None:
            return self.invalid("limit must be between 1 and 100")
        return 200, {"messages": page, **({"cursor": cursor} if cursor else {})}
