"""Bluesky: a reply is a post record with ``reply {root, parent}`` strong refs; hiding goes through
the threadgate of our root post.

- Reply: ``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post`` whose ``reply.parent`` is
  the message (at-uri and CID) and ``reply.root`` the thread's first post: the parent's own
  ``record.reply.root`` when the parent is itself a reply, else the parent. The incoming
  message's ``external_ref`` carries ``uri``, ``cid`` and ``root`` ({uri, cid}); when one is
  missing the parent is fetched (``app.bsky.feed.getPosts``).
- Reconciliation: our repository's latest posts (``listRecords``), for one that answers this
  parent with this text. The PDS answers from our own repository at once, where the AppView's
  thread view may lag, so an answer just made is never taken for missing.
- Hide: the threadgate record (``app.bsky.feed.threadgate``, rkey = the root post's rkey, in our
  repository) lists up to 300 ``hiddenReplies``. Read, add, write back with ``putRecord`` and
  ``swapRecord`` (the CID read), so a change made meanwhile is not overwritten; its ``allow``
  rules are kept as they are (absent: everyone may reply; never turned into ``[]``, "nobody").
  Only possible under a thread whose root is our post.
- Mute thread: ``app.bsky.graph.muteThread {root}``. Deleting someone else's post: impossible.
"""

import datetime

from atproto import models
from django.utils.translation import gettext as _

from channels.adapters.base import PermanentError
from channels.adapters.bluesky import POST_COLLECTION, post_url

from .base import ModerationUnsupported, Responder, Sent

THREADGATE = "app.bsky.feed.threadgate"
MAX_HIDDEN = 300


def _field(value, name):
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _rkey(uri):
    return uri.removeprefix("at://").split("/")[-1]


def _repo(uri):
    return uri.removeprefix("at://").split("/")[0]


class BlueskyResponder(Responder):
    kind = "bluesky"
    moderation_actions = ("hide", "mute_thread")

    def _refs(self, message):
        """(parent, root) strong refs of ``message``, fetching the parent's record when the ref is incomplete."""
        ref = message.external_ref or {}
        uri = ref.get("uri") or message.external_id
        cid = ref.get("cid")
        root = ref.get("root") if isinstance(ref.get("root"), dict) else None
        if not cid or not root or not root.get("uri") or not root.get("cid"):
            client = self.adapter.client()
            found = self.adapter._call(client.app.bsky.feed.get_posts, models.AppBskyFeedGetPosts.Params(uris=[uri]))
            if not found.posts:
                raise PermanentError(_("Bluesky no longer has the post this reply answers (deleted?)."))
            post = found.posts[0]
            cid = post.cid
            parent_root = _field(_field(post.record, "reply"), "root")
            root = (
                {"uri": _field(parent_root, "uri"), "cid": _field(parent_root, "cid")}
                if parent_root
                else {"uri": uri, "cid": cid}
            )
        return {"uri": uri, "cid": cid}, root

    def reply(self, message, text, *, key, private=False):
        self.adapter.client()
        parent, root = self._refs(message)
        record = models.AppBskyFeedPost.Record(
            text=text,
            created_at=_now(),
            reply=models.AppBskyFeedPost.ReplyRef(
                root=models.ComAtprotoRepoStrongRef.Main(uri=root["uri"], cid=root["cid"]),
                parent=models.ComAtprotoRepoStrongRef.Main(uri=parent["uri"], cid=parent["cid"]),
            ),
            langs=[message.language[:2]] if message.language else None,
        )
        created = self.adapter._repo(
            "create_record",
            models.ComAtprotoRepoCreateRecord.Data(repo=self.adapter.did, collection=POST_COLLECTION, record=record),
            creates=True,
        )
        return Sent(
            remote_id=created.uri,
            remote_url=post_url(created.uri, self.adapter.did),
            ref={"uri": created.uri, "cid": created.cid, "root": root},
        )

    def find_reply(self, message, text, *, private=False):
        self.adapter.client()
        parent_uri = (message.external_ref or {}).get("uri") or message.external_id
        listed = self.adapter._repo(
            "list_records",
            models.ComAtprotoRepoListRecords.Params(
                repo=self.adapter.did, collection=POST_COLLECTION, limit=self.adapter.reconcile_window
            ),
        )
        for item in listed.records:
            value = item.value
            parent = _field(_field(value, "reply"), "parent")
            if _field(parent, "uri") == parent_uri and _field(value, "text") == text:
                return Sent(
                    remote_id=item.uri,
                    remote_url=post_url(item.uri, self.adapter.did),
                    ref={"uri": item.uri, "cid": item.cid},
                )
        return None

    # -- moderation ---------------------------------------------------------------------------------

    def root_uri(self, message):
        root = (message.external_ref or {}).get("root")
        if isinstance(root, dict) and root.get("uri"):
            return root["uri"]
        return self._refs(message)[1]["uri"]

    def hide(self, message, hidden=True):
        self.adapter.client()
        root_uri = self.root_uri(message)
        if _repo(root_uri) != self.adapter.did:
            raise ModerationUnsupported(
                _("Bluesky hides replies only in threads under our own posts; this thread starts elsewhere."),
                manual_url=message.permalink,
            )
        target = (message.external_ref or {}).get("uri") or message.external_id
        for _attempt in range(3):
            current = self._threadgate(root_uri)
            value = current.value if current is not None else None
            hidden_replies = list(_field(value, "hidden_replies") or _field(value, "hiddenReplies") or [])
            if hidden and target not in hidden_replies:
                if len(hidden_replies) >= MAX_HIDDEN:
                    raise ModerationUnsupported(
                        _("Bluesky hides at most %(max)s replies in one thread.") % {"max": MAX_HIDDEN}
                    )
                hidden_replies.append(target)
            elif not hidden and target in hidden_replies:
                hidden_replies.remove(target)
            else:
                return
            record = {
                "$type": THREADGATE,
                "post": root_uri,
                "createdAt": _field(value, "created_at") or _field(value, "createdAt") or _now(),
                "hiddenReplies": hidden_replies,
            }
            allow = _field(value, "allow")
            if allow is not None:
                # Kept as it is: absent means everyone may reply, [] nobody.
                record["allow"] = [a.model_dump(by_alias=True) if hasattr(a, "model_dump") else a for a in allow]
            try:
                self.adapter._repo(
                    "put_record",
                    models.ComAtprotoRepoPutRecord.Data(
                        repo=self.adapter.did,
                        collection=THREADGATE,
                        rkey=_rkey(root_uri),
                        record=record,
                        swap_record=current.cid if current is not None else None,
                    ),
                )
                return
            except PermanentError as error:
                if "swap" not in error.message.lower():
                    raise
                # Someone changed the threadgate meanwhile: read it again.
        raise PermanentError(_("The thread's settings on Bluesky kept changing meanwhile; try again."))

    def _threadgate(self, root_uri):
        try:
            return self.adapter._repo(
                "get_record",
                models.ComAtprotoRepoGetRecord.Params(
                    repo=self.adapter.did, collection=THREADGATE, rkey=_rkey(root_uri)
                ),
            )
        except PermanentError as error:
            if error.status in (400, 404) and "not" in error.message.lower() and "found" in error.message.lower():
                return None
            if error.status in (400, 404) and "could not locate" in error.message.lower():
                return None
            raise

    def mute_thread(self, message):
        client = self.adapter.client()
        self.adapter._call(
            client.app.bsky.graph.mute_thread, models.AppBskyGraphMuteThread.Data(root=self.root_uri(message))
        )
