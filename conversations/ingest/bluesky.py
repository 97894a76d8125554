"""Reading a Bluesky account through its PDS: notifications, the threads of our recent posts, chat.

- Signs in through the adapter (``BlueskyAdapter.client()``), which keeps the session in memory:
  ``createSession`` is limited to 30 per 5 minutes, so a poll never signs in afresh when a
  session is kept. A refused session is dropped and the app password used once more.
- ``notifications``: ``app.bsky.notification.listNotifications`` with ``reasons`` reply, mention
  and quote, ``limit=100``. Its cursor is opaque and pages go back in time, so pages are read
  until one holds an item already stored (the first read takes one page); everything read is
  stored in one go, oldest first, so a crash before the commit loses nothing.
- ``thread:<at-uri>``: ``app.bsky.feed.getPostThread`` (``depth`` 20) of each of our posts sent in
  the last ``CONVERSATIONS_RECENT_DAYS`` days, for replies that made no notification.
- ``chat``: ``chat.bsky.convo.listConvos`` and ``getMessages`` through the PDS with the header
  ``atproto-proxy: did:web:api.bsky.chat#bsky_chat``, only when the account's setting
  ``read_direct_messages`` is on (the app password must then be made with DM access); otherwise
  the stream carries a note that says so. Its cursor is the newest message ``rev`` seen.
- Items keep what a reply needs: the post's ``uri`` and ``cid`` and its thread's ``root`` ref.
- 429 (with ``ratelimit-reset`` or ``Retry-After``) pauses the stream until then.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from channels.adapters.base import AuthError
from channels.adapters.bluesky import forget_session, post_url

from ..models import Conversation, Message
from . import base
from .http import Reader429
from .store import Incoming, read_cursor, store

PAGE = 100
MAX_PAGES = 20
THREAD_DEPTH = 20
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
REASONS = ("reply", "mention", "quote")


def quoted_uri(record):
    """The uri of the post a record quotes (``app.bsky.embed.record``, or ``recordWithMedia``), or None."""
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    inner = embed.get("record") if isinstance(embed.get("record"), dict) else {}
    return inner.get("uri") or ((inner.get("record") or {}) if isinstance(inner.get("record"), dict) else {}).get(
        "uri"
    )


class BlueskyReader:
    network = "bluesky"

    def __init__(self, account, now=None):
        self.account = account
        self.now = now or timezone.now()
        self.adapter = account.adapter()
        self.http = Reader429("Bluesky", self.adapter.timeout, secrets=[self.adapter.app_password])
        self._token = ""

    # -- calls --------------------------------------------------------------------------------

    def session(self, fresh=False):
        if fresh:
            forget_session(self.adapter._session_key())
            self.adapter._client = None
            self.adapter._use_password = True
        client = self.adapter.client()
        self._token = client._session.access_jwt
        return self._token

    def xrpc(self, method, params=None, headers=None):
        token = self._token or self.session()
        url = f"{self.adapter.pds_url}/xrpc/{method}"
        try:
            return self._get(url, token, params, headers)
        except AuthError:
            # The kept session expired or was revoked: sign in once more with the app password.
            return self._get(url, self.session(fresh=True), params, headers)

    def _get(self, url, token, params, headers):
        response = self.http.request(
            "GET", url, params=params, headers={"Authorization": f"Bearer {token}", **(headers or {})}
        )
        return response.json()

    @property
    def did(self):
        if not self.adapter.did:
            self.session()
        return self.adapter.did

    def streams(self):
        yield "notifications", self.read_notifications
        for uri in base.recent_posts(self.account, self.now):
            if uri.startswith("at://"):
                yield f"thread:{uri}", lambda uri=uri: self.read_thread(uri)
        if base.truthy(self.adapter.config.get("read_direct_messages")):
            yield "chat", self.read_chat
        else:
            base.note(
                self.account,
                "chat",
                _("Direct messages are not read: switch on 'Read direct messages' in the account's settings."),
            )

    # -- items --------------------------------------------------------------------------------

    def incoming(self, post, threader, *, kind=None, saved_search_id=None):
        """An item from a post view (``uri``, ``cid``, ``author``, ``record``, ``indexedAt``)."""
        record = post.get("record") or {}
        reply = record.get("reply") or {}
        parent = (reply.get("parent") or {}).get("uri") or ""
        thread_root = reply.get("root") or {}
        uri = str(post.get("uri") or "")
        quoted = quoted_uri(record)
        root, our_post = threader.place(uri, parent, root_hint=thread_root.get("uri") or quoted or "")
        if kind is None:
            if quoted and threader.is_ours(quoted):
                kind = Conversation.Kind.QUOTE
            elif our_post:
                kind = Conversation.Kind.REPLY
            else:
                kind = Conversation.Kind.MENTION
        author = post.get("author") or {}
        did = str(author.get("did") or "")
        langs = record.get("langs") or []
        return Incoming(
            external_id=uri,
            created_at=base.utc(record.get("createdAt") or post.get("indexedAt")),
            text=str(record.get("text") or ""),
            kind=kind,
            root_external_id=root,
            parent_external_id=parent,
            our_post_id=our_post,
            author_external_id=did,
            author_handle=str(author.get("handle") or ""),
            author_name=str(author.get("displayName") or ""),
            author_url=f"https://bsky.app/profile/{did}" if did else "",
            permalink=post_url(uri),
            language=str(langs[0] if langs else ""),
            external_ref={
                "uri": uri,
                "cid": str(post.get("cid") or ""),
                # A reply to this post keeps the thread's root; a post that is no reply is its own root.
                "root": {"uri": thread_root.get("uri") or uri, "cid": thread_root.get("cid") or post.get("cid") or ""},
            },
            saved_search_id=saved_search_id,
            ours=did == self.adapter.did and bool(did),
        )

    # -- streams ------------------------------------------------------------------------------

    def read_notifications(self):
        stream = "notifications"
        first_read = base.cursor_row(self.account, stream) is None
        found, cursor = [], None
        for _page in range(MAX_PAGES):
            params = [("reasons", r) for r in REASONS] + [("limit", PAGE)]
            if cursor:
                params.append(("cursor", cursor))
            data = self.xrpc("app.bsky.notification.listNotifications", params)
            page = [n for n in data.get("notifications") or [] if n.get("reason") in REASONS]
            found += page
            uris = [str(n.get("uri") or "") for n in page]
            known = Message.objects.filter(account=self.account, external_id__in=uris).exists()
            cursor = data.get("cursor")
            if known or first_read or not cursor or not data.get("notifications"):
                break
        return self._store_posts(found, stream, newest=found[0].get("indexedAt") if found else None)

    def _store_posts(self, posts, stream, newest=None, saved_search_id=None, kind=None):
        self.did  # noqa: B018 - signs in, so our own posts are known as ours
        posts = list(reversed(posts))  # oldest first: parents before their replies
        threader = base.Threader(self.account)
        threader.learn(((p.get("record") or {}).get("reply") or {}).get("parent", {}).get("uri") for p in posts)
        threader.learn(((p.get("record") or {}).get("reply") or {}).get("root", {}).get("uri") for p in posts)
        threader.learn(quoted_uri(p.get("record") or {}) for p in posts)
        seen, items = set(), []
        for post in posts:
            if post.get("uri") in seen:
                continue
            seen.add(post.get("uri"))
            reason_kind = {"quote": Conversation.Kind.QUOTE}.get(post.get("reason"), kind)
            items.append(self.incoming(post, threader, kind=reason_kind, saved_search_id=saved_search_id))
        cursor = newest or read_cursor(self.account, stream)
        return store(self.account, items, stream=stream, cursor=cursor).count

    def read_thread(self, uri):
        data = self.xrpc("app.bsky.feed.getPostThread", {"uri": uri, "depth": THREAD_DEPTH, "parentHeight": 0})
        posts = []

        def walk(node):
            for reply in node.get("replies") or []:
                if isinstance(reply, dict) and isinstance(reply.get("post"), dict):
                    posts.append(reply["post"])
                    walk(reply)

        walk(data.get("thread") or {})
        posts.sort(key=lambda p: str(p.get("indexedAt") or ""), reverse=True)
        return self._store_posts(posts, f"thread:{uri}", newest=str(len(posts)))

    def read_chat(self):
        stream = "chat"
        seen_rev = read_cursor(self.account, stream)
        proxy = {"atproto-proxy": CHAT_PROXY}
        items, newest, cursor = [], seen_rev, None
        for _page in range(MAX_PAGES):
            params = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            data = self.xrpc("chat.bsky.convo.listConvos", params, headers=proxy)
            convos = data.get("convos") or []
            fresh = [c for c in convos if str((c.get("lastMessage") or {}).get("rev") or "") > seen_rev]
            for convo in fresh:
                items += self._convo_messages(convo, seen_rev, proxy)
                newest = max(newest, str(convo["lastMessage"]["rev"]))
            cursor = data.get("cursor")
            # Conversations come most recently active first: one without news ends the reading.
            if len(fresh) < len(convos) or not cursor:
                break
        items.sort(key=lambda item: item.created_at)
        return store(self.account, items, stream=stream, cursor=newest).count

    def _convo_messages(self, convo, seen_rev, proxy):
        members = {m.get("did"): m for m in convo.get("members") or []}
        root = f"chat:{convo.get('id')}"
        items, cursor = [], None
        for _page in range(MAX_PAGES):
            params = {"convoId": convo.get("id"), "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            data = self.xrpc("chat.bsky.convo.getMessages", params, headers=proxy)
            messages = data.get("messages") or []
            older = False
            for message in messages:
                if str(message.get("rev") or "") <= seen_rev:
                    older = True
                    continue
                if "text" not in message:  # a deleted message view
                    continue
                sender = str((message.get("sender") or {}).get("did") or "")
                member = members.get(sender) or {}
                items.append(
                    Incoming(
                        external_id=f"chat:{message.get('id')}",
                        created_at=base.utc(message.get("sentAt")),
                        text=str(message.get("text") or ""),
                        kind=Conversation.Kind.DIRECT,
                        root_external_id=root,
                        author_external_id=sender,
                        author_handle=str(member.get("handle") or ""),
                        author_name=str(member.get("displayName") or ""),
                        author_url=f"https://bsky.app/profile/{sender}" if sender else "",
                        visibility=Message.Visibility.DIRECT,
                        external_ref={"convo_id": str(convo.get("id") or ""), "message_id": str(message.get("id"))},
                        ours=sender == self.did,
                    )
                )
            cursor = data.get("cursor")
            if older or not cursor or not messages:
                break
        return items
