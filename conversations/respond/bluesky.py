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
- Private replies (chat): ``chat.bsky.convo.sendMessage {convoId, message: {text}}`` (at most
  1,000 graphemes) through the PDS with the header ``atproto-proxy: did:web:api.bsky.chat#bsky_chat``,
  signed in with the adapter's session as the chat reader is. A chat message carries its convo
  id (``external_ref["convo_id"]``, the conversation's root ``chat:<id>``); a private answer to a
  public post first asks ``chat.bsky.convo.getConvoForMembers {members: [their did]}``. Only when
  the account's setting *Read direct messages* is on (the app password then has DM access); a
  person who accepts no messages from us makes Bluesky refuse, and that is said in a sentence.
  Reconciliation: ``chat.bsky.convo.getMessages`` of the convo, our message with this text.
"""

import datetime

from atproto import models
from django.utils.translation import gettext as _

from channels.adapters._http import Http
from channels.adapters.base import AuthError, PermanentError
from channels.adapters.bluesky import POST_COLLECTION, forget_session, post_url

from ..ingest import base as ingest_base
from .base import ModerationUnsupported, Responder, Sent, plain_words

THREADGATE = "app.bsky.feed.threadgate"
MAX_HIDDEN = 300
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
CHAT_MAX_GRAPHEMES = 1000


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
    can_reply_privately = True
    private_max_chars = CHAT_MAX_GRAPHEMES

    # -- private replies (chat) ---------------------------------------------------------------------

    def chat_allowed(self):
        return ingest_base.truthy(self.adapter.config.get("read_direct_messages"))

    def private_refusal(self, message):
        if not self.chat_allowed():
            return _(
                "Direct messages are switched off for this Bluesky account: switch on 'Read direct messages' in "
                "the account's settings (its app password needs access to direct messages) to answer privately."
            )
        if not self.is_direct(message) and not message.author_external_id.startswith("did:"):
            return _("This Bluesky message does not say who wrote it, so it cannot be answered privately.")
        return None

    def _chat(self, http_method, method, *, params=None, body=None, creates=False):
        """Call ``chat.bsky.<method>`` through the PDS with the chat proxy header, on the adapter's session."""
        url = f"{self.adapter.pds_url}/xrpc/{method}"
        for fresh in (False, True):
            if fresh:
                # The kept session expired or was revoked: sign in once more with the app password.
                forget_session(self.adapter._session_key())
                self.adapter._client = None
                self.adapter._use_password = True
            token = self.adapter.client()._session.access_jwt
            http = Http("Bluesky", self.adapter.timeout, secrets=[self.adapter.app_password, token])
            headers = {"Authorization": f"Bearer {token}", "atproto-proxy": CHAT_PROXY}
            try:
                response = http.request(http_method, url, params=params, json=body, headers=headers, creates=creates)
            except AuthError:
                if fresh:
                    raise
                continue
            except PermanentError as error:
                if "token" in error.message.lower():
                    raise PermanentError(
                        _(
                            "Bluesky refused direct messages for this app password: make an app password with "
                            "access to direct messages and enter it in the account's settings."
                        ),
                        status=error.status,
                    ) from None
                raise
            return response.json() if response.content else {}
        raise AssertionError("unreachable")

    def convo_id(self, message, *, create=True):
        """The chat convo of ``message``: its own (a chat message), else the one with its author."""
        convo = (message.external_ref or {}).get("convo_id")
        if not convo and message.conversation.root_external_id.startswith("chat:"):
            convo = message.conversation.root_external_id.removeprefix("chat:")
        if convo:
            return convo
        try:
            data = self._chat(
                "GET", "chat.bsky.convo.getConvoForMembers", params={"members": [message.author_external_id]}
            )
        except PermanentError as error:
            raise PermanentError(
                _(
                    "Bluesky does not let this account send %(person)s a direct message (Bluesky answered: "
                    "%(detail)s). They may accept messages only from people they follow, or none at all."
                )
                % {"person": message.author_handle or message.author_external_id, "detail": error.message},
                status=error.status,
            ) from None
        convo = str((data.get("convo") or {}).get("id") or "")
        if not convo:
            raise PermanentError(_("Bluesky gave no conversation to send the direct message in."))
        return convo

    def reply_privately(self, message, text):
        refusal = self.private_refusal(message)
        if refusal:
            raise PermanentError(refusal)
        convo = self.convo_id(message)
        sent = self._chat(
            "POST",
            "chat.bsky.convo.sendMessage",
            body={"convoId": convo, "message": {"text": text}},
            creates=True,
        )
        message_id = str(sent.get("id") or "")
        if not message_id:
            raise PermanentError(_("Bluesky accepted the direct message but gave no id for it."))
        return Sent(remote_id=f"chat:{message_id}", ref={"convo_id": convo, "message_id": message_id})

    def find_private_reply(self, message, text):
        convo = self.convo_id(message)
        data = self._chat("GET", "chat.bsky.convo.getMessages", params={"convoId": convo, "limit": 100})
        wanted = plain_words(text)
        for sent in data.get("messages") or []:
            sender = str((sent.get("sender") or {}).get("did") or "")
            if sender == self.adapter.did and plain_words(sent.get("text")) == wanted:
                message_id = str(sent.get("id") or "")
                return Sent(remote_id=f"chat:{message_id}", ref={"convo_id": convo, "message_id": message_id})
        return None

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
        if private or self.is_direct(message):
            return self.reply_privately(message, text)
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
        if private or self.is_direct(message):
            return self.find_private_reply(message, text)
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
