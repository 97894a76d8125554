"""A Bluesky PDS: the XRPC methods the atproto SDK calls to sign in, post, list and delete.

Shaped after the lexicons of com.atproto.server.createSession/refreshSession/getSession,
com.atproto.repo.uploadBlob/createRecord/deleteRecord/listRecords and app.bsky.feed.post
(https://docs.bsky.app/docs/api/). ``createRecord`` checks the record the way the PDS does for
the parts we use, against the lexicon's limits: text of at most 300 graphemes and 3,000 bytes,
createdAt, link facets with UTF-8 byte ranges inside the text, image embeds whose blobs were
uploaded, carry an ``alt`` and are at most 1,000,000 bytes (a link card's thumbnail too).

Chat (chat.bsky.convo.getConvoForMembers, sendMessage, getMessages) answers only with the header
``atproto-proxy: did:web:api.bsky.chat#bsky_chat`` (else 501, as the PDS does for a method it does
not serve itself) and only for an app password with DM access (``dm_access``; else the PDS's
"Bad token method"). ``sendMessage`` takes at most 1,000 graphemes. A person's
``chat.bsky.actor.declaration.allowIncoming`` is ``allow_incoming[did]`` (all, following, none):
``none``, or ``following`` (the fake's account is followed by nobody), makes getConvoForMembers
and sendMessage refuse with ``InvalidRequest`` "recipient has disabled incoming messages" / "recipient
requires incoming messages to come from someone they follow" (the wording of Bluesky's chat service,
not its lexicon: unverified).
"""

import base64
import hashlib
import json
import time

import regex

from .base import FakeNetwork

MAX_GRAPHEMES = 300
MAX_CHAT_GRAPHEMES = 1000
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
MAX_TEXT_BYTES = 3000
MAX_IMAGE_BYTES = 1_000_000

HANDLE = "zorg.bsky.social"
DID = "did:plc:zorgloopback0000000000"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"  # noqa: S105  (test value)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(subject, scope, lifetime):
    now = int(time.time())
    header = b64url(json.dumps({"typ": "at+jwt", "alg": "ES256K"}).encode())
    payload = b64url(json.dumps({"scope": scope, "sub": subject, "iat": now, "exp": now + lifetime}).encode())
    return f"{header}.{payload}.{b64url(hashlib.sha256(payload.encode()).digest())}"


def cid_of(data, codec=0x55):
    """A CIDv1 (sha2-256, base32) of ``data``: raw codec for blobs, dag-cbor (0x71) for records."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


class FakeBluesky(FakeNetwork):
    name = "bluesky"
    routes = [
        ("POST", r"/xrpc/com\.atproto\.server\.createSession", "create_session"),
        ("POST", r"/xrpc/com\.atproto\.server\.refreshSession", "refresh_session"),
        ("GET", r"/xrpc/com\.atproto\.server\.getSession", "get_session"),
        ("GET", r"/xrpc/com\.atproto\.server\.describeServer", "describe_server"),
        ("GET", r"/xrpc/com\.atproto\.identity\.resolveHandle", "resolve_handle"),
        ("POST", r"/xrpc/com\.atproto\.repo\.uploadBlob", "upload_blob"),
        ("POST", r"/xrpc/com\.atproto\.repo\.createRecord", "create_record"),
        ("POST", r"/xrpc/com\.atproto\.repo\.deleteRecord", "delete_record"),
        ("GET", r"/xrpc/com\.atproto\.repo\.listRecords", "list_records"),
        # Replying and moderating (conversations.respond.bluesky).
        ("GET", r"/xrpc/com\.atproto\.repo\.getRecord", "get_record"),
        ("POST", r"/xrpc/com\.atproto\.repo\.putRecord", "put_record"),
        ("GET", r"/xrpc/app\.bsky\.feed\.getPosts", "get_posts"),
        ("POST", r"/xrpc/app\.bsky\.graph\.muteThread", "mute_thread"),
        # Private replies (chat, through the PDS's proxy).
        ("GET", r"/xrpc/chat\.bsky\.convo\.getConvoForMembers", "get_convo_for_members"),
        ("POST", r"/xrpc/chat\.bsky\.convo\.sendMessage", "send_message"),
        ("GET", r"/xrpc/chat\.bsky\.convo\.getMessages", "get_messages"),
    ]

    def reset_state(self):
        self.handle = HANDLE
        self.did = DID
        self.app_password = APP_PASSWORD
        self.blobs = {}  # cid -> (mime type, bytes)
        self.access_tokens = set()
        self.refresh_tokens = set()
        # Posts of other people (their own repositories, seen through the AppView): uri -> record view.
        self.others = {}
        # Records of other collections in our repository (threadgates): (collection, rkey) -> record view.
        self.records = {}
        self.muted_threads = set()  # root uris
        # Chat: id -> {"members": [profile views], "messages": [message views, oldest first]}.
        self.convos = {}
        self.dm_access = True
        self.allow_incoming = {}  # did -> "all" | "following" | "none" (absent: "all")
        self.rev = 0

    def not_found(self, request):
        return {"error": "MethodNotImplemented", "message": "Method Not Implemented"}

    def scripted_body(self, status):
        if status == 429:
            return {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        return {"error": "InternalServerError", "message": "Internal Server Error"}

    def _session(self):
        access = jwt(self.did, "com.atproto.appPass", 7200)
        refresh = jwt(self.did, "com.atproto.refresh", 90 * 86400)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "did": self.did,
            "handle": self.handle,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    def _auth(self, request, tokens=None):
        header = request.header("Authorization") or ""
        token = header.removeprefix("Bearer ")
        if self.revoked:
            return 401, {"error": "InvalidToken", "message": "Token has been revoked"}
        if token not in (tokens if tokens is not None else self.access_tokens):
            return 401, {"error": "AuthenticationRequired", "message": "Authentication Required"}
        return None

    # -- server ---------------------------------------------------------------------------------

    def create_session(self, request):
        data = request.json or {}
        if (
            self.revoked
            or data.get("identifier") not in (self.handle, self.did)
            or data.get("password") != self.app_password
        ):
            return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        return 200, self._session()

    def refresh_session(self, request):
        return self._auth(request, self.refresh_tokens) or (200, self._session())

    def get_session(self, request):
        return self._auth(request) or (200, {"did": self.did, "handle": self.handle, "active": True})

    def describe_server(self, request):
        return 200, {"did": "did:web:127.0.0.1", "availableUserDomains": [".bsky.social"], "inviteCodeRequired": True}

    def resolve_handle(self, request):
        if request.query.get("handle") != self.handle:
            return 400, {"error": "InvalidRequest", "message": "Unable to resolve handle"}
        return 200, {"did": self.did}

    # -- repo -----------------------------------------------------------------------------------

    def upload_blob(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        mime = request.header("Content-Type") or "application/octet-stream"
        cid = cid_of(request.raw)
        self.blobs[cid] = (mime, request.raw)
        return 200, {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(request.raw)}}

    def problems(self, record):
        problems = []
        if record.get("$type") != "app.bsky.feed.post":
            problems.append("Invalid $type")
        text = record.get("text")
        if not isinstance(text, str) or not record.get("createdAt"):
            return problems + ["Record must have text and createdAt"]
        size = len(text.encode("utf-8"))
        if len(regex.findall(r"\X", text)) > MAX_GRAPHEMES:
            problems.append(f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes")
        if size > MAX_TEXT_BYTES:
            problems.append(f"Record/text must not be longer than {MAX_TEXT_BYTES} characters")
        for facet in record.get("facets") or []:
            index = facet.get("index") or {}
            if not 0 <= index.get("byteStart", -1) < index.get("byteEnd", -1) <= size:
                problems.append("Facet byte range is outside the text")
        if "reply" in record:
            problems += self._reply_problems(record["reply"])
        embed = record.get("embed") or {}
        if embed.get("$type") == "app.bsky.embed.images":
            for number, image in enumerate(embed.get("images") or []):
                if "alt" not in image:
                    problems.append("Image must have alt")
                problems += self._blob_problems(image.get("image"), f"Record/embed/images/{number}/image")
        if embed.get("$type") == "app.bsky.embed.external":
            external = embed.get("external") or {}
            if not external.get("uri") or "title" not in external or "description" not in external:
                problems.append("External embed needs uri, title and description")
            if external.get("thumb"):
                problems += self._blob_problems(external["thumb"], "Record/embed/external/thumb")
        return problems

    def _blob_problems(self, blob, path):
        stored = self.blobs.get((blob or {}).get("ref", {}).get("$link"))
        if stored is None:
            return ["Could not find blob"]
        size = len(stored[1])
        if size > MAX_IMAGE_BYTES:
            return [f"{path} file too large. {size} bytes (maximum {MAX_IMAGE_BYTES})"]
        return []

    def create_record(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        data = request.json or {}
        if data.get("repo") not in (self.did, self.handle):
            return 400, {"error": "InvalidRequest", "message": "Could not find repo"}
        record = data.get("record") or {}
        problems = self.problems(record)
        if problems:
            return 400, {
                "error": "InvalidRecord",
                "message": "Invalid app.bsky.feed.post record: " + "; ".join(problems),
            }
        rkey = f"3lzz{self.new_id():09d}"
        uri = f"at://{self.did}/{data['collection']}/{rkey}"
        cid = cid_of(json.dumps(record, sort_keys=True).encode(), codec=0x71)
        with self.lock:
            self.posts[rkey] = {"uri": uri, "cid": cid, "value": record}
        return 200, {
            "uri": uri,
            "cid": cid,
            "commit": {"cid": cid_of(uri.encode(), codec=0x71), "rev": rkey},
            "validationStatus": "valid",
        }

    def delete_record(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        data = request.json or {}
        with self.lock:
            self.posts.pop(data.get("rkey"), None)
        # Deleting a record that does not exist succeeds, as on a real PDS.
        return 200, {"commit": {"cid": cid_of(str(time.time()).encode(), codec=0x71), "rev": "x"}}

    def list_records(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        limit = int(request.query.get("limit", 50))
        with self.lock:
            records = list(reversed(list(self.posts.values())))[:limit]
        return 200, {"records": records}

    # -- conversations: other people's posts, replies, threadgates, muting -------------------------

    def add_foreign_post(
        self, text, *, did="did:plc:patient00000000000000", handle="patient.bsky.social", reply_to=None
    ):
        """A post someone else wrote, optionally in reply to ``reply_to`` (a post view: ours or theirs)."""
        record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-05T10:00:00.000Z"}
        if reply_to is not None:
            parent = {"uri": reply_to["uri"], "cid": reply_to["cid"]}
            root = (reply_to["value"].get("reply") or {}).get("root") or parent
            record["reply"] = {"root": dict(root), "parent": parent}
        rkey = f"3lpp{self.new_id():09d}"
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
        view = {"uri": uri, "cid": cid_of(json.dumps(record, sort_keys=True).encode(), codec=0x71), "value": record}
        with self.lock:
            self.others[uri] = {**view, "author": {"did": did, "handle": handle}}
        return view

    def post_by_uri(self, uri):
        """A post view (``uri``, ``cid``, ``value``) of ours or someone else's, or None."""
        with self.lock:
            if uri in self.others:
                return self.others[uri]
            parts = uri.removeprefix("at://").split("/")
            if len(parts) == 3 and parts[0] == self.did and parts[1] == "app.bsky.feed.post":
                return self.posts.get(parts[2])
        return None

    def our_replies_to(self, uri):
        """Our posts stored in reply to ``uri``."""
        with self.lock:
            return [
                p
                for p in self.posts.values()
                if ((p["value"].get("reply") or {}).get("parent") or {}).get("uri") == uri
            ]

    def _reply_problems(self, reply):
        """A reply's root and parent must be strong refs (uri and cid) to posts that exist, and the
        root must be the parent's root (or the parent itself when the parent is no reply)."""
        problems = []
        for name in ("root", "parent"):
            ref = reply.get(name) if isinstance(reply, dict) else None
            if not isinstance(ref, dict) or not ref.get("uri") or not ref.get("cid"):
                problems.append(f"Record/reply/{name} must be a strong ref (uri and cid)")
        if problems:
            return problems
        parent = self.post_by_uri(reply["parent"]["uri"])
        if parent is None or parent["cid"] != reply["parent"]["cid"]:
            return ["Record/reply/parent does not refer to an existing post with that cid"]
        expected_root = (parent["value"].get("reply") or {}).get("root") or {
            "uri": parent["uri"],
            "cid": parent["cid"],
        }
        if reply["root"].get("uri") != expected_root["uri"] or reply["root"].get("cid") != expected_root["cid"]:
            problems.append("Record/reply/root is not the root of the parent's thread")
        return problems

    def get_record(self, request):
        repo, collection, rkey = (request.query.get(k) for k in ("repo", "collection", "rkey"))
        with self.lock:
            if repo in (self.did, self.handle) and collection == "app.bsky.feed.post":
                found = self.posts.get(rkey)
            elif repo in (self.did, self.handle):
                found = self.records.get((collection, rkey))
            else:
                found = self.others.get(f"at://{repo}/{collection}/{rkey}")
        if found is None:
            return 400, {
                "error": "RecordNotFound",
                "message": f"Could not locate record: at://{repo}/{collection}/{rkey}",
            }
        return 200, {"uri": found["uri"], "cid": found["cid"], "value": found["value"]}

    def _threadgate_problems(self, rkey, record):
        problems = []
        if record.get("$type") != "app.bsky.feed.threadgate" or not record.get("createdAt"):
            problems.append("Invalid app.bsky.feed.threadgate record")
        if record.get("post") != f"at://{self.did}/app.bsky.feed.post/{rkey}":
            problems.append("Threadgate must be on a post of this repo, with the post's rkey")
        elif rkey not in self.posts:
            problems.append("Threadgate post does not exist")
        hidden = record.get("hiddenReplies", [])
        if not isinstance(hidden, list) or len(hidden) > 300 or not all(str(u).startswith("at://") for u in hidden):
            problems.append("Record/hiddenReplies must be at most 300 at-uris")
        if "allow" in record and (not isinstance(record["allow"], list) or len(record["allow"]) > 5):
            problems.append("Record/allow must be at most 5 rules")
        return problems

    def put_record(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        data = request.json or {}
        if data.get("repo") not in (self.did, self.handle):
            return 400, {"error": "InvalidRequest", "message": "Could not find repo"}
        collection, rkey, record = data.get("collection"), data.get("rkey"), data.get("record") or {}
        if collection != "app.bsky.feed.threadgate":
            return 400, {"error": "InvalidRequest", "message": "The loopback PDS puts threadgates only"}
        problems = self._threadgate_problems(rkey, record)
        if problems:
            return 400, {"error": "InvalidRecord", "message": "; ".join(problems)}
        with self.lock:
            current = self.records.get((collection, rkey))
            swap = data.get("swapRecord", "missing")
            # swapRecord: compare-and-swap on the record's cid (None: "must not exist yet").
            if swap != "missing" and (current["cid"] if current else None) != swap:
                return 400, {"error": "InvalidSwap", "message": "Record was at " + str(current and current["cid"])}
            uri = f"at://{self.did}/{collection}/{rkey}"
            cid = cid_of(json.dumps(record, sort_keys=True).encode(), codec=0x71)
            self.records[(collection, rkey)] = {"uri": uri, "cid": cid, "value": record}
        return 200, {"uri": uri, "cid": cid, "validationStatus": "valid"}

    def threadgate(self, root_rkey):
        with self.lock:
            found = self.records.get(("app.bsky.feed.threadgate", root_rkey))
        return found["value"] if found else None

    def get_posts(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        uris = request.query.get("uris") or []
        uris = [uris] if isinstance(uris, str) else uris
        views = []
        for uri in uris:
            found = self.post_by_uri(uri)
            if found is None:
                continue  # getPosts leaves out what it cannot find
            author = found.get("author") or {"did": self.did, "handle": self.handle}
            views.append(
                {
                    "uri": found["uri"],
                    "cid": found["cid"],
                    "author": author,
                    "record": found["value"],
                    "indexedAt": "2026-01-05T10:00:01.000Z",
                }
            )
        return 200, {"posts": views}

    def mute_thread(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        root = (request.json or {}).get("root") or ""
        if not root.startswith("at://"):
            return 400, {"error": "InvalidRequest", "message": "Input/root must be an at-uri"}
        with self.lock:
            self.muted_threads.add(root)
        return 200, None

    # -- chat: private replies -------------------------------------------------------------------

    def _chat(self, request):
        denied = self._auth(request)
        if denied:
            return denied
        if request.header("atproto-proxy") != CHAT_PROXY:
            return 501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}
        if not self.dm_access:
            return 400, {"error": "InvalidToken", "message": "Bad token method"}
        return None

    def _incoming_refused(self, did):
        setting = self.allow_incoming.get(did, "all")
        if setting == "none":
            return 400, {"error": "InvalidRequest", "message": "recipient has disabled incoming messages"}
        if setting == "following":
            return 400, {
                "error": "InvalidRequest",
                "message": "recipient requires incoming messages to come from someone they follow",
            }
        return None

    def get_convo_for_members(self, request):
        refused = self._chat(request)
        if refused:
            return refused
        members = request.query.get("members") or []
        members = [members] if isinstance(members, str) else members
        if not members or not all(str(m).startswith("did:") for m in members):
            return 400, {"error": "InvalidRequest", "message": "Input/members must be dids"}
        others = [m for m in members if m != self.did]
        for did in others:
            refusal = self._incoming_refused(did)
            if refusal:
                return refusal
        wanted = {self.did, *others}
        with self.lock:
            for convo_id, convo in self.convos.items():
                if {m["did"] for m in convo["members"]} == wanted:
                    return 200, {"convo": self.convo_view(convo_id)}
            convo_id = f"convo{self.new_id():06d}"
            self.convos[convo_id] = {
                "members": [{"did": self.did, "handle": self.handle, "displayName": "Zorg"}]
                + [{"did": did, "handle": f"{did.rsplit(':', 1)[-1][:12]}.bsky.social"} for did in others],
                "messages": [],
            }
            return 200, {"convo": self.convo_view(convo_id)}

    def convo_view(self, convo_id):
        convo = self.convos[convo_id]
        view = {"id": convo_id, "rev": "0", "members": convo["members"], "muted": False, "unreadCount": 0}
        if convo["messages"]:
            view["rev"] = convo["messages"][-1]["rev"]
            view["lastMessage"] = convo["messages"][-1]
        return view

    def send_message(self, request):
        refused = self._chat(request)
        if refused:
            return refused
        data = request.json or {}
        convo = self.convos.get(data.get("convoId") or "")
        if convo is None:
            return 400, {"error": "InvalidRequest", "message": "Convo not found"}
        text = (data.get("message") or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            return 400, {"error": "InvalidRequest", "message": "Input/message/text is required"}
        if len(regex.findall(r"\X", text)) > MAX_CHAT_GRAPHEMES:
            return 400, {
                "error": "InvalidRequest",
                "message": f"Input/message/text must not be longer than {MAX_CHAT_GRAPHEMES} graphemes",
            }
        for member in convo["members"]:
            refusal = member["did"] != self.did and self._incoming_refused(member["did"])
            if refusal:
                return refusal
        with self.lock:
            self.rev += 1
            view = {
                "$type": "chat.bsky.convo.defs#messageView",
                "id": f"msg{self.new_id():08d}",
                "rev": f"22{self.rev:011d}",
                "text": text,
                "sender": {"did": self.did},
                "sentAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
            convo["messages"].append(view)
        return 200, view

    def get_messages(self, request):
        """Newest first (``limit`` ≤ 100), as chat.bsky.convo.getMessages."""
        refused = self._chat(request)
        if refused:
            return refused
        convo = self.convos.get(request.query.get("convoId") or "")
        if convo is None:
            return 400, {"error": "InvalidRequest", "message": "Convo not found"}
        limit = int(request.query.get("limit") or 50)
        if not 1 <= limit <= 100:
            return 400, {"error": "InvalidRequest", "message": "limit must be between 1 and 100"}
        with self.lock:
            rows = sorted(convo["messages"], key=lambda m: m["rev"], reverse=True)[:limit]
        return 200, {"messages": rows}

    def sent_messages(self, convo_id):
        """Our chat messages in ``convo_id``, oldest first."""
        with self.lock:
            messages = self.convos.get(convo_id, {"messages": []})["messages"]
            return [m for m in messages if m["sender"]["did"] == self.did]
