"""One SMTP connection's loop over a batch: throttled, recording each message as it goes.

Per message, right before the data goes out, one conditional UPDATE marks the row ``sending``
(``RowStatements``); after the server's answer it becomes ``sent``, ``failed`` (5xx) or pending
again with a back-off (4xx). Why this order makes sending at most once per recipient is in
``newsletter.sending``.
"""

import collections
import logging
import smtplib
import threading
import time

from django.core.mail import get_connection
from django.db import connection as db_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .lease import LeaseLost, heartbeat
from .models import Delivery, NewsletterIssue, Subscriber

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
# Back-off after a temporary refusal (4xx), by number of refusals so far; then the row fails.
RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600)


class Throttle:
    """Keeps the average rate at or below ``rate`` messages per second, across threads."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self):
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(self.next_at, now)
            self.next_at = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def refusal_code(error):
    """The SMTP reply code of a refusal, or ``None`` when the server gave no answer (the fate is unknown)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return codes[0] if codes else None
    if isinstance(error, smtplib.SMTPResponseException) and not isinstance(error, smtplib.SMTPServerDisconnected):
        return error.smtp_code
    return None


def fast_commits():
    """On PostgreSQL, per-message commits need not wait for the disk: a killed worker loses nothing
    (the server has the commit), only a crash of PostgreSQL itself could lose the last few."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


class RowStatements:
    """The per-message statements as raw SQL: the ORM's update() costs more CPU than the statement itself."""

    def __init__(self):
        quote = db_connection.ops.quote_name
        delivery = quote(Delivery._meta.db_table)
        issue = quote(NewsletterIssue._meta.db_table)
        subscriber = quote(Subscriber._meta.db_table)
        # S608 is silenced below: the table names come from the models, every value is a parameter.
        self.attempt = (
            f"UPDATE {delivery} SET status = %s WHERE id = %s AND status = %s AND runner = %s"  # noqa: S608
            f" AND EXISTS (SELECT 1 FROM {issue} WHERE id = %s AND content_version = %s)"
            f" AND EXISTS (SELECT 1 FROM {subscriber} WHERE id = %s AND status = %s AND undeliverable_at IS NULL)"
        )
        self.sent = (
            f"UPDATE {delivery} SET status = %s, sent_at = %s, error = '' "  # noqa: S608
            f"WHERE id = %s AND runner = %s AND status IN (%s, %s)"
        )

    def mark_sending(self, cursor, delivery_id, runner, issue_id, version, subscriber_id):
        cursor.execute(
            self.attempt,
            [
                Delivery.Status.SENDING,
                delivery_id,
                Delivery.Status.CLAIMED,
                runner,
                issue_id,
                version,
                subscriber_id,
                Subscriber.Status.CONFIRMED,
            ],
        )
        return cursor.rowcount == 1

    def mark_sent(self, cursor, delivery_id, runner):
        # A takeover may have turned the row to unknown meanwhile: the accepted message is still recorded.
        cursor.execute(
            self.sent,
            [
                Delivery.Status.SENT,
                timezone.now(),
                delivery_id,
                runner,
                Delivery.Status.SENDING,
                Delivery.Status.UNKNOWN,
            ],
        )


def _why_not_sendable(delivery_id, runner, issue_id, version):
    """After a refused ``mark_sending``: "lease", "content" or "subscriber"."""
    row = Delivery.objects.filter(pk=delivery_id).values_list("status", "runner").first()
    if row is None or row != (Delivery.Status.CLAIMED, runner):
        return "lease"
    if NewsletterIssue.objects.filter(pk=issue_id).values_list("content_version", flat=True).get() != version:
        return "content"
    return "subscriber"


def _refused(delivery_id, runner, code, error):
    """Record a definitive refusal: 5xx fails the row, 4xx puts it back with a back-off (until the retries run out)."""
    text = str(error)[:300]
    row = Delivery.objects.filter(
        pk=delivery_id, runner=runner, status__in=[Delivery.Status.CLAIMED, Delivery.Status.SENDING]
    )
    if code is not None and 400 <= code < 500:
        attempts = (Delivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 0) + 1
        if attempts <= len(RETRY_DELAYS):
            row.update(
                status=Delivery.Status.PENDING,
                runner="",
                claimed_at=None,
                attempts=attempts,
                next_attempt_at=timezone.now() + timezone.timedelta(seconds=RETRY_DELAYS[attempts - 1]),
                error=text,
            )
            return
        text = (_("Temporarily refused %(count)s times; last: ") % {"count": attempts} + text)[:300]
        row.update(status=Delivery.Status.FAILED, attempts=attempts, error=text)
        return
    row.update(status=Delivery.Status.FAILED, error=text)


class Tally:
    """Messages accepted in this run, counted across threads (and kept when a batch ends in an exception)."""

    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()

    def add(self):
        with self.lock:
            self.value += 1


def send_rows(rows, issue, runner, content, throttle, tally):
    """Send ``rows`` over one SMTP connection, recording each message as described in the module docstring."""
    statements = RowStatements()
    cursor = db_connection.cursor()
    connection = get_connection()
    connection.open()
    last_beat = time.monotonic()
    remaining = collections.deque(rows)
    try:
        while remaining:
            delivery_id, subscriber_id, email, token = remaining.popleft()
            throttle.wait()
            if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                if not heartbeat(issue, runner):
                    raise LeaseLost
            version, mailer, raw = content.current()
            state = {"handed_over": False}

            def before_data(delivery_id=delivery_id, subscriber_id=subscriber_id, state=state, version=version):
                if statements.mark_sending(cursor, delivery_id, runner, issue.pk, version, subscriber_id):
                    state["handed_over"] = True
                    return True
                state["why"] = _why_not_sendable(delivery_id, runner, issue.pk, version)
                return False

            try:
                if raw.can_send(connection, email):
                    accepted = raw.send(connection, email, token, before_data)
                elif before_data():
                    # Another backend, or an address SMTP needs encoded: EmailMessage handles it, whole.
                    message = mailer.message(email, token, connection)
                    accepted = bool(connection.send_messages([message]))
                else:
                    accepted = False
            except smtplib.SMTPException as error:
                code = refusal_code(error)
                if code is None:
                    raise  # no answer: a ``sending`` row stays so and becomes unknown (see ``release_rows``)
                _refused(delivery_id, runner, code, error)
                if code == 421:
                    # The server closed the connection: the rest of the batch waits as long as this row.
                    _defer(remaining, runner, delivery_id)
                    return
                continue
            if accepted:
                statements.mark_sent(cursor, delivery_id, runner)
                tally.add()
                continue
            why = state.get("why") if not state["handed_over"] else None
            if why == "lease":
                raise LeaseLost
            if why == "content":
                content.reload(version)  # may raise IssueNotSendable: the issue lost its last story
                remaining.appendleft((delivery_id, subscriber_id, email, token))
            elif why == "subscriber":
                Delivery.objects.filter(pk=delivery_id, runner=runner, status=Delivery.Status.CLAIMED).delete()
    finally:
        cursor.close()
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the real error
            logger.debug("Closing the SMTP connection failed.", exc_info=True)


def _defer(rows, runner, like_delivery_id):
    """Put ``rows`` (not handed to the server) back to pending, due when the refused row is."""
    due = Delivery.objects.filter(pk=like_delivery_id).values_list("next_attempt_at", flat=True).first()
    Delivery.objects.filter(pk__in=[row[0] for row in rows], runner=runner, status=Delivery.Status.CLAIMED).update(
        status=Delivery.Status.PENDING, runner="", claimed_at=None, next_attempt_at=due
    )


def send_rows_in_thread(*args):
    from django.db import connections

    try:
        fast_commits()
        return send_rows(*args)
    finally:
        connections.close_all()  # this thread's own database connections
