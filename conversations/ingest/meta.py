"""Reading a Facebook page and an Instagram professional account (Meta's Graph API).

Webhooks are the primary path (``conversations.webhooks``): Facebook's ``feed`` field (comments
added, edited, removed) and Instagram's ``comments`` and ``mentions`` fields, turned into items by
:func:`facebook_items` and :func:`instagram_items`, and both networks' ``messages`` field (Messenger
and Instagram direct messages, ``entry[].messaging[]``), turned into items by :func:`messaging_items`:
one direct conversation per person (``dm:<their page- or Instagram-scoped id>``), our own messages
(``is_echo``) stored as ours, a message the person withdrew (``is_deleted``) removed. Direct messages
arrive only by webhook: the Conversations API has no time-based paging to poll them by.

Polling our recent posts is the fallback for what a webhook missed (the app was down, the
subscription lapsed):

- Facebook ``comments:<post id>``: ``GET /{post-id}/comments?filter=stream&order=chronological``
  (every comment and reply, flat, each with its ``parent``), paged with ``after`` cursors; the
  last ``after`` is the stream's cursor, so a poll asks only for what came since.
- Instagram ``comments:<media id>``: ``GET /{media-id}/comments`` with the replies expanded, and
  ``GET /{comment-id}/replies`` when a comment has more replies than fit. Instagram's comments
  have no forward cursor, so each recent post is read whole (stored once, however often read).

Ids: our post is the ``Dispatch.remote_id`` the adapters stored (Facebook ``{page}_{post}``,
Instagram the media id). Rate limits: ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` above 80 %
pauses the stream before Meta blocks the app; Graph's rate-limit errors (codes 4, 17, 32, 613,
often with HTTP 400) pause it too.
"""

from django.utils import timezone

from channels.adapters._graph import map_graph_error
from channels.adapters.base import TransientError

from ..models import Conversation, Message
from . import base
from .http import DEFAULT_WAIT, RateLimited, Reader429, graph_usage, later
from .store import Incoming, read_cursor, store

PAGE = 100
MAX_PAGES = 20
FACEBOOK_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url,is_hidden"
INSTAGRAM_COMMENT = "id,text,timestamp,username,from{id,username},hidden,parent_id,media{id}"
INSTAGRAM_FIELDS = f"{INSTAGRAM_COMMENT},replies{{{INSTAGRAM_COMMENT}}}"


class GraphReader:
    def __init__(self, account, now=None):
        self.account = account
        self.now = now or timezone.now()
        self.adapter = account.adapter()
        self.http = Reader429(str(self.adapter.label), self.adapter.timeout, secrets=[self.adapter.token])
        self.http.error_of = map_graph_error

    def get(self, path, params=None, url=None):
        try:
            response = self.http.request(
                "GET",
                url or f"{self.adapter.graph_url}/{path.lstrip('/')}",
                params=params,
                headers={"Authorization": f"Bearer {self.adapter.token}"},
            )
        except TransientError as error:
            if error.status == 429:  # Graph's rate-limit codes, mapped by the adapters' helper
                raise RateLimited(later(error.retry_after or DEFAULT_WAIT)) from None
            raise
        self.usage = graph_usage(response)
        return response.json()

    def check_usage(self):
        if getattr(self, "usage", None):
            raise RateLimited(self.usage)

    def streams(self):
        for post_id in base.recent_posts(self.account, self.now):
            yield f"comments:{post_id}", lambda post_id=post_id: self.read_comments(post_id)


class FacebookReader(GraphReader):
    network = "facebook"

    def read_comments(self, post_id):
        stream = f"comments:{post_id}"
        cursor = read_cursor(self.account, stream)
        stored = 0
        for _page in range(MAX_PAGES):
            params = {"filter": "stream", "order": "chronological", "limit": PAGE, "fields": FACEBOOK_FIELDS}
            if cursor:
                params["after"] = cursor
            data = self.get(f"{post_id}/comments", params)
            comments = data.get("data") or []
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after") or cursor
            threader = base.Threader(self.account, our_posts=[post_id])
            threader.learn((c.get("parent") or {}).get("id") for c in comments)
            items = [facebook_comment(c, post_id, threader) for c in comments if c.get("id")]
            stored += store(self.account, items, stream=stream, cursor=after).count
            cursor = after
            self.check_usage()
            if not comments or not paging.get("next"):
                break
        return stored


class InstagramReader(GraphReader):
    network = "instagram"

    def read_comments(self, media_id):
        stream = f"comments:{media_id}"
        comments, after = [], None
        for _page in range(MAX_PAGES):
            params = {"fields": INSTAGRAM_FIELDS, "limit": 50, **({"after": after} if after else {})}
            data = self.get(f"{media_id}/comments", params)
            for comment in data.get("data") or []:
                comments.append(comment)
                replies = comment.get("replies") or {}
                comments += replies.get("data") or []
                if (replies.get("paging") or {}).get("next"):
                    comments += self.more_replies(comment["id"], (replies.get("paging") or {}).get("cursors", {}))
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            self.check_usage()
            if not paging.get("next") or not after:
                break
        comments.sort(key=lambda c: str(c.get("timestamp") or ""))
        threader = base.Threader(self.account, our_posts=[media_id])
        threader.learn(c.get("parent_id") for c in comments)
        items = [instagram_comment(c, media_id, threader) for c in comments if c.get("id")]
        return store(self.account, items, stream=stream, cursor=str(len(comments))).count

    def more_replies(self, comment_id, cursors):
        replies, after = [], (cursors or {}).get("after")
        for _page in range(MAX_PAGES):
            data = self.get(
                f"{comment_id}/replies",
                {"fields": INSTAGRAM_COMMENT, "limit": 50, **({"after": after} if after else {})},
            )
            replies += data.get("data") or []
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
        return replies

    def mentioned_comment(self, comment_id):
        """A comment that mentions us (the ``mentions`` webhook names only its id)."""
        fields = "{id,text,timestamp,username,from{id,username},media{id,permalink}}"
        field = f"mentioned_comment.comment_id({comment_id}){fields}"
        data = self.get(self.adapter.ig_user_id, {"fields": field})
        return data.get("mentioned_comment") or {}


# -- items, from polling and from webhooks -------------------------------------------------------


def facebook_comment(comment, post_id, threader):
    parent = (comment.get("parent") or {}).get("id") or post_id
    author = comment.get("from") or {}
    comment_id = str(comment["id"])
    root, our_post = threader.place(comment_id, parent)
    return Incoming(
        external_id=comment_id,
        created_at=base.utc(comment.get("created_time")),
        text=str(comment.get("message") or ""),
        kind=Conversation.Kind.REPLY if our_post else Conversation.Kind.MENTION,
        root_external_id=root,
        parent_external_id=str(parent),
        our_post_id=our_post,
        author_external_id=str(author.get("id") or ""),
        author_name=str(author.get("name") or ""),
        permalink=str(comment.get("permalink_url") or ""),
        hidden=bool(comment.get("is_hidden")),
        external_ref={"comment_id": comment_id, "post_id": str(post_id)},
        ours=str(author.get("id") or "") == threader.account.config.get("page_id", ""),
    )


def instagram_comment(comment, media_id, threader):
    parent = str(comment.get("parent_id") or media_id)
    author = comment.get("from") or {}
    comment_id = str(comment["id"])
    root, our_post = threader.place(comment_id, parent)
    username = str(author.get("username") or comment.get("username") or "")
    return Incoming(
        external_id=comment_id,
        created_at=base.utc(comment.get("timestamp")),
        text=str(comment.get("text") or ""),
        kind=Conversation.Kind.REPLY if our_post else Conversation.Kind.MENTION,
        root_external_id=root,
        parent_external_id=parent,
        our_post_id=our_post,
        author_external_id=str(author.get("id") or ""),
        author_handle=username,
        author_url=f"https://www.instagram.com/{username}/" if username else "",
        hidden=bool(comment.get("hidden")),
        external_ref={"comment_id": comment_id, "media_id": str(media_id)},
        ours=str(author.get("id") or "") == threader.account.config.get("ig_user_id", ""),
    )


def facebook_items(account, changes, entry_time=None):
    """Items of a page's ``feed`` webhook changes (comments added, edited, removed)."""
    values = [c.get("value") or {} for c in changes if c.get("field") == "feed"]
    values = [v for v in values if isinstance(v, dict) and v.get("item") == "comment" and v.get("comment_id")]
    threader = base.Threader(account)
    threader.learn([v.get("post_id") for v in values] + [v.get("parent_id") for v in values])
    items = []
    for value in values:
        post_id = str(value.get("post_id") or "")
        parent = str(value.get("parent_id") or post_id)
        comment = {
            "id": value["comment_id"],
            "message": value.get("message"),
            "created_time": value.get("created_time") or entry_time,
            "from": value.get("from"),
            "parent": {"id": parent},
            "is_hidden": value.get("is_hidden"),
        }
        item = facebook_comment(comment, post_id, threader)
        item.deleted = value.get("verb") == "remove"
        items.append(item)
    return items


def instagram_items(account, changes, entry_time=None):
    """Items of an Instagram account's ``comments`` webhook changes (``mentions`` are fetched apart)."""
    values = [c.get("value") or {} for c in changes if c.get("field") == "comments"]
    values = [v for v in values if isinstance(v, dict) and v.get("id")]
    threader = base.Threader(account)
    threader.learn([(v.get("media") or {}).get("id") for v in values] + [v.get("parent_id") for v in values])
    items = []
    for value in values:
        media_id = str((value.get("media") or {}).get("id") or "")
        comment = {**value, "timestamp": value.get("timestamp") or entry_time}
        items.append(instagram_comment(comment, media_id, threader))
    return items


def mention_item(account, comment, media_id):
    threader = base.Threader(account)
    item = instagram_comment(comment, media_id, threader)
    item.kind = Conversation.Kind.MENTION
    item.root_external_id = item.external_id
    item.our_post_id = ""
    item.permalink = str((comment.get("media") or {}).get("permalink") or "")
    return item


def messaging_items(account, events):
    """Items of ``messaging`` webhook events: Messenger (page) or Instagram direct messages.

    ``{"sender": {"id"}, "recipient": {"id"}, "timestamp": ms, "message": {"mid", "text", "is_echo",
    "is_deleted"}}``; events that carry no message (read receipts, reactions, postbacks) are skipped.
    """
    own_id = str(account.config.get("page_id" if account.kind == "facebook" else "ig_user_id") or "")
    items = []
    for event in events:
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, dict) or not message.get("mid"):
            continue
        sender = str((event.get("sender") or {}).get("id") or "")
        recipient = str((event.get("recipient") or {}).get("id") or "")
        ours = bool(message.get("is_echo")) or (own_id and sender == own_id)
        person = recipient if ours else sender
        if not person:
            continue
        items.append(
            Incoming(
                external_id=str(message["mid"]),
                created_at=base.utc(event.get("timestamp")),
                text=str(message.get("text") or ""),
                kind=Conversation.Kind.DIRECT,
                root_external_id=f"dm:{person}",
                visibility=Message.Visibility.DIRECT,
                author_external_id="" if ours else person,
                external_ref={"recipient_id": person, "platform": account.kind},
                deleted=bool(message.get("is_deleted")),
                ours=ours,
            )
        )
    return items
