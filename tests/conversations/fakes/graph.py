"""What the Facebook and Instagram read fakes share: Graph's cursor paging and usage headers.

Cursors are opaque base64 strings (``paging.cursors.before``/``after``); ``paging.next`` is present
only when more rows follow. ``usage`` (percent) is sent as ``X-App-Usage`` and
``X-Business-Use-Case-Usage`` on every answer, as Graph does.
"""

import base64
import datetime
import json


def graph_time(moment):
    """Graph's times: ISO 8601 with ``+0000``."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def encode(value):
    return base64.b64encode(str(value).encode()).decode()


def decode(value):
    try:
        return int(base64.b64decode(value.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return None


class GraphReading:
    """Mixed into a Graph fake: call ``reading_state()`` from ``reset_state``."""

    def reading_state(self):
        self.usage = 5
        self.regain_minutes = 0
        self.clock = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)

    def tick(self):
        self.clock += datetime.timedelta(minutes=1)
        return self.clock

    def usage_headers(self):
        business = {
            self.business_id: [
                {
                    "type": "pages",
                    "call_count": self.usage,
                    "total_cputime": max(1, self.usage // 2),
                    "total_time": max(1, self.usage // 2),
                    "estimated_time_to_regain_access": self.regain_minutes,
                }
            ]
        }
        return {
            "X-App-Usage": json.dumps({"call_count": self.usage, "total_cputime": 1, "total_time": 1}),
            "X-Business-Use-Case-Usage": json.dumps(business),
        }

    def limit_of(self, request, default, maximum):
        try:
            return max(1, min(maximum, int(request.query.get("limit") or default)))
        except ValueError:
            return default

    def paged(self, request, path, rows, default=25, maximum=100):
        """Rows after the ``after`` cursor (or before ``before``), ``limit`` at a time, Graph's paging object."""
        limit = self.limit_of(request, default, maximum)
        start = 0
        if request.query.get("after"):
            position = decode(request.query["after"])
            if position is None:
                return None
            start = position + 1
        page = rows[start : start + limit]
        body = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": encode(start), "after": encode(start + len(page) - 1)}}
            if start + len(page) < len(rows):
                body["paging"]["next"] = f"{self.url}{path}?limit={limit}&after={encode(start + len(page) - 1)}"
        return body

    def select(self, row, fields):
        """``row`` with only the asked top-level ``fields`` (nested field lists are ignored)."""
        names, depth, current = [], 0, ""
        for char in fields or "":
            if char in "{(":
                depth += 1
            elif char in "})":
                depth -= 1
            if char == "," and depth == 0:
                names.append(current)
                current = ""
            else:
                current += char
        if current:
            names.append(current)
        wanted = {name.split("{")[0].split(".")[0] for name in names} or {"id"}
        return {key: value for key, value in row.items() if key in wanted or key == "id"}
