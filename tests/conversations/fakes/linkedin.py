"""LinkedIn's REST API that also answers what the inbox reads.

Shaped after .../community-management/organizations/organization-social-action-notifications
(``GET /rest/organizationalEntityNotifications?q=criteria&organizationalEntity=<urn>&actions=List(..)
&timeRange=(start:<ms>,end:<ms>)``, ``start``/``count`` paging, 60 days kept) and
.../shares/comments-api (``GET /rest/socialActions/{urn}/comments``, ``start``/``count``, comments on
comments through the comment's URN). Every call checks ``LinkedIn-Version`` and
``X-Restli-Protocol-Version`` as the posting fake does. The ``decoratedGeneratedActivity`` shape
follows LinkedIn's samples (unverified beyond them).

Seed with :meth:`add_comment`, :meth:`add_mention` and :meth:`delete_comment` (each makes the
notification LinkedIn would keep); :meth:`webhook_delivery` builds the webhook body for them.
"""

import datetime
import re
from urllib.parse import unquote

from tests.channels.fakes.linkedin import FakeLinkedIn as PostingLinkedIn

CLIENT_SECRET = "linkedin-loopback-client-secret"  # noqa: S105  (test value)
KEPT_DAYS = 60


def ms(moment):
    return int(moment.timestamp() * 1000)


class FakeLinkedIn(PostingLinkedIn):
    routes = [
        ("GET", r"/rest/organizationalEntityNotifications", "notifications"),
        ("GET", r"/rest/socialActions/(.+)/comments", "list_comments"),
        *PostingLinkedIn.routes,
    ]

    def reset_state(self):
        super().reset_state()
        self.comments = []
        self.notes = []
        self.client_secret = CLIENT_SECRET
        self.clock = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)

    @property
    def org_urn(self):
        return f"urn:li:organization:{self.organization_id}"

    def tick(self):
        # Seeded items are a little apart and never in the future of the real clock's "now".
        a_moment_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        self.clock = max(self.clock + datetime.timedelta(milliseconds=1), a_moment_ago)
        return self.clock

    def _note(self, action, activity, actor, source, decorated, when):
        note = {
            "notificationId": 80000 + self.new_id(),
            "organizationalEntity": self.org_urn,
            "action": action,
            "sourcePost": source,
            "generatedActivity": activity,
            "decoratedGeneratedActivity": decorated,
            "actor": actor,
            "lastModifiedAt": ms(when),
        }
        self.notes.append(note)
        return note

    def add_comment(self, post_urn, text, *, parent=None, actor="urn:li:person:anna123", notify=True):
        with self.lock:
            number = 7300000000000000000 + self.new_id()
            activity = post_urn.rsplit(":", 1)[-1]
            urn = f"urn:li:comment:(urn:li:activity:{activity},{number})"
            created = self.tick()
            comment = {
                "id": str(number),
                "commentUrn": urn,
                "$URN": urn,
                "actor": actor,
                "object": f"urn:li:activity:{activity}",
                "message": {"text": text, "attributes": []},
                "created": {"actor": actor, "time": ms(created)},
                "lastModified": {"actor": actor, "time": ms(created)},
                "on": parent or post_urn,
            }
            if parent:
                comment["parentComment"] = parent
            self.comments.append(comment)
            if notify:
                decorated = {"comment": {"entity": urn, "owner": actor, "text": text}}
                if parent:
                    decorated["comment"]["parentComment"] = parent
                self._note("COMMENT", urn, actor, post_urn, decorated, created)
        return urn

    def add_mention(self, text, *, actor="urn:li:person:bert456"):
        with self.lock:
            share = f"urn:li:share:{7400000000000000000 + self.new_id()}"
            self._note("SHARE_MENTION", share, actor, share, {"share": {"entity": share, "text": text}}, self.tick())
        return share

    def delete_comment(self, urn):
        with self.lock:
            comment = next(c for c in self.comments if c["commentUrn"] == urn)
            self.comments.remove(comment)
            return self._note(
                "COMMENT_DELETE", urn, comment["actor"], comment["on"], {"comment": {"entity": urn}}, self.tick()
            )

    def webhook_delivery(self, notes=None):
        return {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": list(notes or self.notes)}

    def _window(self, text):
        found = re.fullmatch(r"\(start:(\d+),end:(\d+)\)", text or "")
        return (int(found.group(1)), int(found.group(2))) if found else None

    def _paging(self, request, rows, default=10, maximum=100):
        try:
            start = max(0, int(request.query.get("start") or 0))
            count = max(1, min(maximum, int(request.query.get("count") or default)))
        except ValueError:
            return None
        return {"elements": rows[start : start + count], "paging": {"start": start, "count": count, "links": []}}

    def notifications(self, request):
        refused = self._check(request)
        if refused:
            return refused
        if request.query.get("q") != "criteria":
            return 400, {"status": 400, "message": "Invalid query: q=criteria is required"}
        if unquote(request.query.get("organizationalEntity") or "") != self.org_urn:
            return 403, {"status": 403, "message": "Not enough permissions to access organizationalEntity"}
        actions = re.fullmatch(r"List\(([A-Z_,]+)\)", request.query.get("actions") or "")
        window = self._window(request.query.get("timeRange"))
        if not actions or not window:
            return 400, {"status": 400, "message": "Invalid actions or timeRange"}
        oldest = ms(datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=KEPT_DAYS))
        if window[0] < oldest:
            return 400, {"status": 400, "message": "timeRange start must be within the last 60 days"}
        wanted = set(actions.group(1).split(","))
        with self.lock:
            rows = [
                {k: v for k, v in n.items() if k != "notificationId"}
                for n in self.notes
                if n["action"] in wanted and window[0] <= n["lastModifiedAt"] < window[1]
            ]
        rows.sort(key=lambda n: n["lastModifiedAt"], reverse=True)
        body = self._paging(request, rows)
        return (200, body) if body else (400, {"status": 400, "message": "Invalid paging"})

    def list_comments(self, request, encoded):
        refused = self._check(request)
        if refused:
            return refused
        target = unquote(encoded)
        with self.lock:
            rows = []
            for comment in self.comments:
                if comment["on"] != target:
                    continue
                replies = sum(1 for c in self.comments if c["on"] == comment["commentUrn"])
                view = {k: v for k, v in comment.items() if k != "on"}
                view["commentsSummary"] = {"totalFirstLevelComments": replies, "aggregatedTotalComments": replies}
                rows.append(view)
        body = self._paging(request, rows)
        return (200, body) if body else (400, {"status": 400, "message": "Invalid paging"})
