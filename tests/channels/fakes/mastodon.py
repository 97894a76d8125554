"""A Mastodon instance: the parts of the REST API Mastodon.py calls for posting and deleting.

Shaped after https://docs.joinmastodon.org/methods/statuses/, /methods/media/, /methods/instance/
and /methods/accounts/#verify_credentials, /methods/accounts/#statuses (an account's statuses,
newest first, ``limit`` 20 by default and at most 40, ``max_id``/``since_id``). A status's
``content`` is HTML as Mastodon renders it (escaped text, ``<p>`` per paragraph, ``<br />`` per line,
links as ``<a>`` with the scheme in an invisible ``<span>``); ``text`` (the plain source) is only
returned when the status is deleted, as the documentation says. ``POST /api/v1/statuses`` honours ``Idempotency-Key``
(a repeated key returns the status made the first time) and refuses text over
``max_characters`` counted as Mastodon's StatusLengthValidator does: grapheme clusters, every URL
as 23, ``@user@domain`` as ``@user`` (422 "Text character limit of 500 exceeded").

Two tokens: ``token`` (the account ``zorg``, id 109) and ``other_token`` (another account on the
same instance). As on Mastodon, deleting a status of another account answers 404, the same as a
status that does not exist; ``GET /api/v1/statuses/:id`` shows any status that exists.

``rate_limit_next(seconds)``: the next matching request gets Mastodon's own 429: ``X-RateLimit-*``
headers with the reset time as an ISO-8601 timestamp, and no ``Retry-After``.
"""

import datetime
import html

import regex

from .base import FakeNetwork

TOKEN = "mastodon-loopback-token"  # noqa: S105  (test value)
OTHER_TOKEN = "mastodon-loopback-other-account"  # noqa: S105  (test value)
URL_WEIGHT = 23
# As app/lib/text_formatter / StatusLengthValidator: links and remote mentions shortened.
URL = regex.compile(r"https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'’]")
MENTION = regex.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w")


def status_length(text):
    text = URL.sub("x" * URL_WEIGHT, text)
    text = MENTION.sub(lambda match: "@" + match.group(1), text)
    return len(regex.findall(r"\X", text))


def render_content(text):
    """The HTML Mastodon's TextFormatter makes of a plain-text status."""

    def link(match):
        url = match.group(0)
        scheme, _sep, rest = url.partition("://")
        shown, hidden = rest[:30], rest[30:]
        return (
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{html.escape(scheme)}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>'
        )

    paragraphs = []
    for paragraph in regex.split(r"\n{2,}", text.strip()):
        pieces, last = [], 0
        for match in URL.finditer(paragraph):
            pieces.append(html.escape(paragraph[last : match.start()]))
            pieces.append(link(match))
            last = match.end()
        pieces.append(html.escape(paragraph[last:]))
        paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


def shown(status):
    """A status as the API shows it: without the plain-text source (only a delete returns it)."""
    return {key: value for key, value in status.items() if key != "text"}


class FakeMastodon(FakeNetwork):
    name = "mastodon"
    routes = [
        ("GET", r"/api/v1/instance/?", "instance_v1"),
        ("GET", r"/api/v2/instance/?", "instance_v2"),
        ("GET", r"/api/v1/accounts/verify_credentials", "verify_credentials"),
        ("GET", r"/api/v1/accounts/(\w+)/statuses", "account_statuses"),
        ("POST", r"/api/v2/media", "media_post"),
        ("GET", r"/api/v1/media/(\w+)", "media_get"),
        ("POST", r"/api/v1/statuses", "status_post"),
        ("GET", r"/api/v1/statuses/(\w+)", "status_get"),
        ("DELETE", r"/api/v1/statuses/(\w+)", "status_delete"),
        # Replying and moderating (conversations.respond.mastodon).
        ("GET", r"/api/v1/statuses/(\w+)/context", "status_context"),
        ("POST", r"/api/v1/statuses/(\w+)/mute", "status_mute"),
        ("POST", r"/api/v1/accounts/(\w+)/block", "account_block"),
        ("POST", r"/api/v1/accounts/(\w+)/mute", "account_mute"),
        ("POST", r"/api/v1/reports/?", "report"),
    ]

    def reset_state(self):
        self.token = TOKEN
        self.other_token = OTHER_TOKEN
        self.max_characters = 500
        self.media = {}
        self.keys = {}  # (account id, Idempotency-Key) -> status id
        # Other people on the fediverse, seen by this instance: id -> account (``add_status``).
        self.people = {}
        self.muted_threads = set()  # status ids whose conversation the account muted
        self.blocked = set()  # account ids
        self.muted = {}  # account id -> {"notifications": bool}
        self.reports = []

    def rate_limit_next(self, seconds, *, match=None):
        reset = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
        self.fail_next(
            429,
            match=match,
            body={"error": "Too many requests"},
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            },
        )

    def _caller(self, request):
        """The account id the request's token belongs to, or None."""
        given = request.header("Authorization")
        if given == f"Bearer {self.token}":
            return "109"
        if given == f"Bearer {self.other_token}":
            return "110"
        return None

    def _auth(self, request):
        if self._caller(request) is None:
            return 401, {"error": "The access token is invalid"}
        if self.revoked:
            return 401, {"error": "The access token was revoked"}
        return None

    def account(self, account_id="109"):
        if account_id in self.people:
            return dict(self.people[account_id])
        username = "zorg" if account_id == "109" else "andere"
        return {
            "id": account_id,
            "username": username,
            "acct": username,
            "display_name": username.title(),
            "url": f"{self.url}/@{username}",
            "created_at": "2024-01-01T00:00:00.000Z",
        }

    def instance_v1(self, request):
        return 200, {
            "uri": "127.0.0.1",
            "title": "Loopback",
            "version": "4.3.0",
            "max_toot_chars": self.max_characters,
        }

    def instance_v2(self, request):
        return 200, {
            "domain": "127.0.0.1",
            "title": "Loopback",
            "version": "4.3.0",
            "api_versions": {"mastodon": 2},
            "configuration": {
                "urls": {"streaming": ""},
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                },
                "media_attachments": {
                    "supported_mime_types": ["image/jpeg", "image/png"],
                    "image_size_limit": 16777216,
                },
            },
        }

    def verify_credentials(self, request):
        return self._auth(request) or (200, self.account(self._caller(request)))

    def account_statuses(self, request, account_id):
        denied = self._auth(request)
        if denied:
            return denied
        try:
            limit = max(1, min(40, int(request.query.get("limit") or 20)))
        except ValueError:
            limit = 20
        max_id, since_id = request.query.get("max_id"), request.query.get("since_id")
        with self.lock:
            statuses = [s for s in self.posts.values() if s["account"]["id"] == account_id]
        statuses.sort(key=lambda s: int(s["id"]), reverse=True)
        if max_id:
            statuses = [s for s in statuses if int(s["id"]) < int(max_id)]
        if since_id:
            statuses = [s for s in statuses if int(s["id"]) > int(since_id)]
        return 200, [shown(s) for s in statuses[:limit]]

    def media_post(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        media_id = str(1000 + self.new_id())
        filename, content_type, data = request.files["file"]
        self.media[media_id] = {
            "id": media_id,
            "type": "image",
            "url": f"{self.url}/media/{media_id}.jpg",
            "preview_url": f"{self.url}/media/{media_id}-small.jpg",
            "description": request.form.get("description"),
            "content_type": content_type,
            "size": len(data),
        }
        return 200, self.media[media_id]

    def media_get(self, request, media_id):
        return self._auth(request) or (200, self.media[media_id])

    def status_post(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        caller = self._caller(request)
        key = request.header("Idempotency-Key")
        with self.lock:
            if key and (caller, key) in self.keys and self.keys[(caller, key)] in self.posts:
                return 200, shown(self.posts[self.keys[(caller, key)]])
            text = request.form.get("status", "")
            if status_length(text) > self.max_characters:
                return 422, {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"}
            media_ids = request.form.get("media_ids[]") or []
            media_ids = [media_ids] if isinstance(media_ids, str) else media_ids
            in_reply_to_id = request.form.get("in_reply_to_id") or None
            if in_reply_to_id is not None and in_reply_to_id not in self.posts:
                # PostStatusService: the status replied to must exist and be visible.
                return 404, {"error": "Record not found"}
            status_id = str(110000 + self.new_id())
            status = {
                "id": status_id,
                "uri": f"{self.url}/users/zorg/statuses/{status_id}",
                "url": f"{self.url}/@zorg/{status_id}",
                "created_at": datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z"),
                "content": render_content(text),
                "text": text,
                "visibility": request.form.get("visibility", "public"),
                "language": request.form.get("language"),
                "media_attachments": [self.media[m] for m in media_ids],
                "account": self.account(caller),
                "in_reply_to_id": in_reply_to_id,
                "in_reply_to_account_id": self.posts[in_reply_to_id]["account"]["id"] if in_reply_to_id else None,
                "muted": False,
            }
            self.posts[status_id] = status
            if key:
                self.keys[(caller, key)] = status_id
        return 200, shown(status)

    def status_get(self, request, status_id):
        status = self.posts.get(status_id)
        if status is None:
            return 404, {"error": "Record not found"}
        return 200, shown(status)

    def status_delete(self, request, status_id):
        denied = self._auth(request)
        if denied:
            return denied
        caller = self._caller(request)
        with self.lock:
            status = self.posts.get(status_id)
            # Status.where(account: current_account).find(id): another account's status is "not found".
            if status is None or status["account"]["id"] != caller:
                return 404, {"error": "Record not found"}
            self.posts.pop(status_id)
        return 200, status

    # -- conversations: other people's statuses, threads, muting, blocking, reporting --------------

    def add_status(self, text, *, account_id="200", username="patient", in_reply_to_id=None, visibility="public"):
        """A status someone else wrote (a reply under our post, a mention, a DM); returns it."""
        with self.lock:
            self.people.setdefault(
                account_id,
                {
                    "id": account_id,
                    "username": username,
                    "acct": f"{username}@elders.example",
                    "display_name": username.title(),
                    "url": f"https://elders.example/@{username}",
                    "created_at": "2024-01-01T00:00:00.000Z",
                },
            )
            status_id = str(120000 + self.new_id())
            status = {
                "id": status_id,
                "uri": f"https://elders.example/users/{username}/statuses/{status_id}",
                "url": f"https://elders.example/@{username}/{status_id}",
                "created_at": datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z"),
                "content": render_content(text),
                "text": text,
                "visibility": visibility,
                "language": "nl",
                "media_attachments": [],
                "account": self.account(account_id),
                "in_reply_to_id": in_reply_to_id,
                "in_reply_to_account_id": self.posts[in_reply_to_id]["account"]["id"] if in_reply_to_id else None,
                "muted": False,
            }
            self.posts[status_id] = status
        return status

    def replies_to(self, status_id):
        """The statuses stored in reply to ``status_id``, oldest first."""
        with self.lock:
            found = [s for s in self.posts.values() if s.get("in_reply_to_id") == status_id]
        return sorted(found, key=lambda s: int(s["id"]))

    def status_context(self, request, status_id):
        """``GET /api/v1/statuses/:id/context``: ancestors (root first) and descendants (depth first)."""
        with self.lock:
            if status_id not in self.posts:
                return 404, {"error": "Record not found"}
            ancestors, current = [], self.posts[status_id]
            while current.get("in_reply_to_id") in self.posts:
                current = self.posts[current["in_reply_to_id"]]
                ancestors.insert(0, shown(current))
            descendants = []

            def walk(parent_id):
                for child in sorted(self.posts.values(), key=lambda s: int(s["id"])):
                    if child.get("in_reply_to_id") == parent_id:
                        descendants.append(shown(child))
                        walk(child["id"])

            walk(status_id)
        return 200, {"ancestors": ancestors, "descendants": descendants}

    def status_mute(self, request, status_id):
        """``POST /api/v1/statuses/:id/mute``: no more notifications from this conversation."""
        denied = self._auth(request)
        if denied:
            return denied
        with self.lock:
            status = self.posts.get(status_id)
            if status is None:
                return 404, {"error": "Record not found"}
            self.muted_threads.add(status_id)
            return 200, {**shown(status), "muted": True}

    def _relationship(self, account_id):
        return {
            "id": account_id,
            "following": False,
            "blocking": account_id in self.blocked,
            "muting": account_id in self.muted,
            "muting_notifications": bool(self.muted.get(account_id, {}).get("notifications")),
        }

    def account_block(self, request, account_id):
        denied = self._auth(request)
        if denied:
            return denied
        if account_id not in self.people:
            return 404, {"error": "Record not found"}
        with self.lock:
            self.blocked.add(account_id)
        return 200, self._relationship(account_id)

    def account_mute(self, request, account_id):
        denied = self._auth(request)
        if denied:
            return denied
        if account_id not in self.people:
            return 404, {"error": "Record not found"}
        with self.lock:
            self.muted[account_id] = {"notifications": request.form.get("notifications", "true") in ("true", "1")}
        return 200, self._relationship(account_id)

    def report(self, request):
        """``POST /api/v1/reports``: account_id, status_ids[], comment, category, forward."""
        denied = self._auth(request)
        if denied:
            return denied
        account_id = request.form.get("account_id")
        if account_id not in self.people:
            return 404, {"error": "Record not found"}
        status_ids = request.form.get("status_ids[]") or []
        status_ids = [status_ids] if isinstance(status_ids, str) else status_ids
        if any(self.posts.get(s, {}).get("account", {}).get("id") != account_id for s in status_ids):
            return 422, {"error": "Validation failed: Statuses are not from the reported account"}
        report = {
            "id": str(len(self.reports) + 1),
            "action_taken": False,
            "category": request.form.get("category", "other"),
            "comment": request.form.get("comment", ""),
            "forwarded": request.form.get("forward") in ("true", "1"),
            "status_ids": status_ids,
            "target_account": self.account(account_id),
        }
        with self.lock:
            self.reports.append(report)
        return 200, report
