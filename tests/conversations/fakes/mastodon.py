"""A Mastodon instance that also answers what the inbox reads.

Shaped after https://docs.joinmastodon.org/methods/notifications/ (``types[]``, ``max_id``,
``since_id``, ``min_id``, ``limit`` default 40 and at most 80, newest first, a ``Link`` header with
``rel="next"`` (``max_id``) and ``rel="prev"`` (``min_id``)), /methods/statuses/#context
(``ancestors``, ``descendants``), /methods/conversations/ (``limit`` 20, at most 40, paged by the
last status), /methods/timelines/#tag (``limit`` 20, at most 40) and /methods/search/#v2
(``type=statuses``, ``limit`` 20, at most 40, ``min_id``/``max_id``), and /api/rate-limits/
(``X-RateLimit-Limit``/``-Remaining``/``-Reset`` on every answer; 300 per 5 minutes).

Seed with :meth:`add_status` (a reply, a mention, a DM, a quote: it makes the notification the
instance would make for the account ``zorg``) and :meth:`add_dm`. ``rate_remaining`` counts down
per call; set it low to see the readers stop before the limit.
"""

import datetime
import html

from tests.channels.fakes.mastodon import FakeMastodon as PostingMastodon
from tests.channels.fakes.mastodon import render_content, shown

OUR_ACCOUNT = "109"


def iso(moment):
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeMastodon(PostingMastodon):
    routes = [
        ("GET", r"/api/v1/notifications", "notifications"),
        ("GET", r"/api/v1/statuses/(\w+)/context", "context"),
        ("GET", r"/api/v1/conversations", "conversations"),
        ("GET", r"/api/v1/timelines/tag/([^/]+)", "tag_timeline"),
        ("GET", r"/api/v2/search", "search"),
        *PostingMastodon.routes,
    ]

    def reset_state(self):
        super().reset_state()
        self.notes = []  # notifications, oldest first
        self.people = {}
        self.rate_limit = 300
        self.rate_remaining = 300
        self.clock = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)

    # -- seeding --------------------------------------------------------------------------------

    def person(self, username, domain="andere.example", name=None):
        acct = f"{username}@{domain}"
        if acct not in self.people:
            number = str(500 + len(self.people))
            self.people[acct] = {
                "id": number,
                "username": username,
                "acct": acct,
                "display_name": name or username.title(),
                "url": f"https://{domain}/@{username}",
            }
        return self.people[acct]

    def tick(self, minutes=1):
        self.clock += datetime.timedelta(minutes=minutes)
        return self.clock

    def add_status(
        self,
        text,
        *,
        author="anna",
        in_reply_to=None,
        visibility="public",
        mention=True,
        quote_of=None,
        language="nl",
        tags=(),
        created_at=None,
        notify=None,
    ):
        """A status by someone else on the instance; makes the notification ``zorg`` would get.

        ``mention=False``: a reply whose author removed the @mention (no notification).
        """
        with self.lock:
            person = author if isinstance(author, dict) else self.person(author)
            status_id = str(200000 + self.new_id())
            parent = self.posts.get(str(in_reply_to)) if in_reply_to else None
            mentions = []
            if mention:
                mentions.append({"id": OUR_ACCOUNT, "username": "zorg", "acct": "zorg", "url": f"{self.url}/@zorg"})
            body = (f"@zorg {text}" if mention else text) + "".join(f" #{t}" for t in tags)
            status = {
                "id": status_id,
                "uri": f"https://{person['acct'].split('@')[1]}/users/{person['username']}/statuses/{status_id}",
                "url": f"https://{person['acct'].split('@')[1]}/@{person['username']}/{status_id}",
                "created_at": iso(created_at or self.tick()),
                "content": render_content(body),
                "text": body,
                "visibility": visibility,
                "language": language,
                "spoiler_text": "",
                "in_reply_to_id": str(in_reply_to) if in_reply_to else None,
                "in_reply_to_account_id": (parent or {}).get("account", {}).get("id"),
                "mentions": mentions,
                "tags": [{"name": t.lower(), "url": f"{self.url}/tags/{t.lower()}"} for t in tags],
                "media_attachments": [],
                "account": person,
            }
            if quote_of:
                status["quote"] = {"state": "accepted", "quoted_status": shown(self.posts[str(quote_of)])}
            self.posts[status_id] = status
            kind = notify
            if kind is None:
                kind = "quote" if quote_of else ("mention" if mention else None)
            if kind:
                self.notes.append(
                    {
                        "id": str(900000 + self.new_id()),
                        "type": kind,
                        "group_key": f"ungrouped-{status_id}",
                        "created_at": status["created_at"],
                        "account": person,
                        "status": shown(status),
                    }
                )
        return status_id

    def add_own_status(self, text, in_reply_to=None, visibility="public"):
        """A status of ``zorg`` (our account), e.g. a reply made outside the inbox."""
        with self.lock:
            status_id = str(110000 + self.new_id())
            self.posts[status_id] = {
                "id": status_id,
                "uri": f"{self.url}/users/zorg/statuses/{status_id}",
                "url": f"{self.url}/@zorg/{status_id}",
                "created_at": iso(self.tick()),
                "content": render_content(text),
                "text": text,
                "visibility": visibility,
                "language": "nl",
                "spoiler_text": "",
                "in_reply_to_id": str(in_reply_to) if in_reply_to else None,
                "mentions": [],
                "tags": [],
                "media_attachments": [],
                "account": self.account(OUR_ACCOUNT),
            }
        return status_id

    def add_dm(self, text, *, author="bert", in_reply_to=None):
        return self.add_status(text, author=author, in_reply_to=in_reply_to, visibility="direct")

    # -- answers --------------------------------------------------------------------------------

    def _rate_headers(self):
        self.rate_remaining = max(0, self.rate_remaining - 1)
        reset = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": iso(reset),
        }

    def _limit(self, request, default, maximum):
        try:
            return max(1, min(maximum, int(request.query.get("limit") or default)))
        except ValueError:
            return default

    def _page(self, request, path, rows, key, default, maximum, extra=()):
        """Mastodon's id paging over ``rows`` (any order): newest first, with a Link header."""
        limit = self._limit(request, default, maximum)
        rows = sorted(rows, key=lambda r: int(key(r)))
        max_id, since_id, min_id = (request.query.get(n) for n in ("max_id", "since_id", "min_id"))
        if max_id:
            rows = [r for r in rows if int(key(r)) < int(max_id)]
        if since_id:
            rows = [r for r in rows if int(key(r)) > int(since_id)]
        if min_id:
            # The page just after min_id: the oldest ``limit`` newer ones, shown newest first.
            page = [r for r in rows if int(key(r)) > int(min_id)][:limit]
        else:
            page = rows[-limit:]
        page.reverse()
        headers = self._rate_headers()
        if page:
            query = "".join(f"&{k}={v}" for k, v in extra)
            headers["Link"] = (
                f'<{self.url}{path}?limit={limit}&max_id={key(page[-1])}{query}>; rel="next", '
                f'<{self.url}{path}?limit={limit}&min_id={key(page[0])}{query}>; rel="prev"'
            )
        return page, headers

    def notifications(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        types = request.query.get("types[]") or []
        types = [types] if isinstance(types, str) else types
        with self.lock:
            rows = [n for n in self.notes if not types or n["type"] in types]
        page, headers = self._page(
            request, "/api/v1/notifications", rows, lambda n: n["id"], 40, 80, [("types[]", t) for t in types]
        )
        return 200, page, headers

    def _thread(self, status_id):
        with self.lock:
            statuses = dict(self.posts)
        ancestors, current = [], statuses.get(status_id)
        while current and current.get("in_reply_to_id") in statuses:
            current = statuses[current["in_reply_to_id"]]
            ancestors.insert(0, shown(current))
        descendants, frontier = [], {status_id}
        for status in sorted(statuses.values(), key=lambda s: int(s["id"])):
            if status.get("in_reply_to_id") in frontier:
                frontier.add(status["id"])
                descendants.append(shown(status))
        return ancestors, descendants

    def context(self, request, status_id):
        if status_id not in self.posts:
            return 404, {"error": "Record not found"}
        ancestors, descendants = self._thread(status_id)
        return 200, {"ancestors": ancestors, "descendants": descendants}, self._rate_headers()

    def conversations(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        with self.lock:
            direct = [s for s in self.posts.values() if s.get("visibility") == "direct"]
        threads = {}
        for status in sorted(direct, key=lambda s: int(s["id"])):
            root = status
            while root.get("in_reply_to_id") in self.posts:
                root = self.posts[root["in_reply_to_id"]]
            threads[root["id"]] = status  # the newest status of each thread
        rows = [
            {
                "id": str(700000 + int(root_id)),
                "unread": True,
                "accounts": [last["account"]],
                "last_status": shown(last),
            }
            for root_id, last in threads.items()
        ]
        page, headers = self._page(request, "/api/v1/conversations", rows, lambda c: c["last_status"]["id"], 20, 40)
        return 200, page, headers

    def tag_timeline(self, request, hashtag):
        tag = html.unescape(hashtag).lower()
        with self.lock:
            rows = [
                s
                for s in self.posts.values()
                if s.get("visibility") == "public" and tag in [t["name"] for t in s.get("tags") or []]
            ]
        page, headers = self._page(request, f"/api/v1/timelines/tag/{hashtag}", rows, lambda s: s["id"], 20, 40)
        return 200, [shown(s) for s in page], headers

    def search(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        words = (request.query.get("q") or "").lower().split()
        with self.lock:
            rows = [
                s
                for s in self.posts.values()
                if s.get("visibility") == "public"
                and s["account"]["id"] != OUR_ACCOUNT
                and words
                and all(w in s.get("text", "").lower() for w in words)
            ]
        if request.query.get("type") not in (None, "statuses"):
            rows = []
        page, headers = self._page(request, "/api/v2/search", rows, lambda s: s["id"], 20, 40)
        headers.pop("Link", None)  # search answers carry no Link header
        return 200, {"accounts": [], "statuses": [shown(s) for s in page], "hashtags": []}, headers
