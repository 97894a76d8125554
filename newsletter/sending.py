"""Resumable, throttled sending of an issue, at most once per recipient.

1. A runner takes the issue (a lease: ``runner`` + ``heartbeat_at``); a second runner leaves it
   alone while the heartbeat is fresh, and takes it over when it is stale (the worker died).
2. The issue is rendered once. An issue left without any story that passes the consent gate (or
   with a subject that would break the mail headers) is not sent: it goes back to draft and the
   editor is told (``IssueNotSendable``).
3. One ``Delivery`` row per recipient is created in chunks (``ignore_conflicts`` on the unique
   (issue, subscriber) constraint, so listing again after a crash adds no duplicates).
4. Batches of ``NEWSLETTER_BATCH_SIZE`` due pending rows of still-deliverable subscribers are
   claimed (pending → claimed, with this runner's id; on PostgreSQL ``SELECT … FOR UPDATE SKIP
   LOCKED``) and sent over one SMTP connection per thread.
5. Per message, after the server accepted the sender and the recipient and right before the
   message data goes out, one conditional UPDATE marks the row ``sending``. It succeeds only while
   the row is still claimed by this runner, the subscriber is still deliverable and the issue's
   ``content_version`` is the one rendered. Otherwise nothing is sent: a lost lease stops the
   batch, an unsubscribed or bounced address is dropped, and a withdrawal (which raises the
   version) makes the runner render the issue again before the next message. After the server's
   answer the row becomes ``sent`` (guarded by the runner id), ``failed`` on a permanent refusal
   (5xx), or ``pending`` again with a back-off on a temporary one (4xx).
6. A runner taking over puts the previous runner's ``claimed`` rows back to pending (never handed
   to the server) and turns its ``sending`` rows into ``unknown``: the server may or may not have
   accepted that message, and no SMTP exchange can tell. Those are never re-sent automatically;
   the progress page counts them and an editor resends them or marks them sent. So nobody gets
   the issue twice from a crash, and nobody is skipped without it being shown: at most one
   ``unknown`` row per SMTP connection per crash.
"""

import binascii
import collections
import logging
import secrets
import smtplib
import threading
import time
import uuid
from email.header import Header
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import LINE_BREAKS, Delivery, NewsletterIssue, Subscriber, link_keys, link_token_for
from .rendering import render_issue

logger = logging.getLogger(__name__)

LIST_CHUNK = 2000
HEARTBEAT_SECONDS = 5
# Back-off after a temporary refusal (4xx), by number of refusals so far; then the row fails.
RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600)


def lease_seconds():
    return int(settings.VERTEL.get("NEWSLETTER_LEASE_SECONDS", 120))


class IssueNotSendable(Exception):
    """The issue must not go out as it is; the message says why, for the editor."""


class LeaseLost(Exception):
    """Another runner took the issue over; this one stops without touching its rows."""


def acquire(issue_id, runner):
    """Take the issue for this runner; return it, or ``None`` when there is nothing to do for us."""
    now = timezone.now()
    with transaction.atomic():
        issue = NewsletterIssue.objects.select_for_update().filter(pk=issue_id).first()
        if issue is None or issue.status not in (NewsletterIssue.Status.SCHEDULED, NewsletterIssue.Status.SENDING):
            return None
        if issue.status == NewsletterIssue.Status.SCHEDULED and issue.scheduled_at and issue.scheduled_at > now:
            return None
        stale_before = now - timezone.timedelta(seconds=lease_seconds())
        if issue.runner and issue.heartbeat_at and issue.heartbeat_at > stale_before:
            return None  # another worker is sending it
        issue.status = NewsletterIssue.Status.SENDING
        issue.send_started_at = issue.send_started_at or now
        issue.runner = runner
        issue.heartbeat_at = now
        issue.save(update_fields=["status", "send_started_at", "runner", "heartbeat_at"])
        release_rows(issue)
    return issue


def release_rows(issue, runner=None):
    """Claimed rows go back to pending; rows handed to the server without a recorded answer become unknown.

    With ``runner``, only that runner's rows (its own clean-up after an error); without, every
    runner's (a takeover, under the issue's lock).
    """
    rows = Delivery.objects.filter(issue=issue)
    if runner is not None:
        rows = rows.filter(runner=runner)
    rows.filter(status=Delivery.Status.CLAIMED).update(status=Delivery.Status.PENDING, claimed_at=None, runner="")
    # The runner id stays on the row, so the late record of a worker that was only slow still lands.
    unknown = rows.filter(status=Delivery.Status.SENDING).update(
        status=Delivery.Status.UNKNOWN, error=_("The worker stopped before the mail server's answer was recorded.")
    )
    if unknown:
        logger.warning(
            "Newsletter issue %s: %s message(s) may or may not have been delivered; an editor decides.",
            issue.pk,
            unknown,
        )


def mark_for_sending(issue):
    """Draft or scheduled → sending now (the worker picks it up); False if it already sends or was sent."""
    return bool(
        NewsletterIssue.objects.filter(
            pk=issue.pk, status__in=[NewsletterIssue.Status.DRAFT, NewsletterIssue.Status.SCHEDULED]
        ).update(status=NewsletterIssue.Status.SENDING, scheduled_at=timezone.now())
    )


def heartbeat(issue, runner):
    """Renew the lease; False when another runner has taken the issue over."""
    return bool(NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(heartbeat_at=timezone.now()))


def list_recipients(issue):
    """Create the pending deliveries in chunks, never holding every recipient in memory."""
    if issue.recipients_listed:
        return
    recipients = Subscriber.objects.recipients_of(issue).order_by("pk").values_list("pk", flat=True)
    chunk = []
    for subscriber_id in recipients.iterator(chunk_size=LIST_CHUNK):
        chunk.append(Delivery(issue_id=issue.pk, subscriber_id=subscriber_id))
        if len(chunk) >= LIST_CHUNK:
            Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    if chunk:
        Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
    NewsletterIssue.objects.filter(pk=issue.pk).update(recipients_listed=True)
    issue.recipients_listed = True


def claim_batch(issue, runner, size):
    """Claim up to ``size`` due pending deliveries; return (delivery id, subscriber id, email, token) rows.

    Only subscribers who are still confirmed and deliverable are claimed: an address that
    unsubscribed, bounced or complained after the recipients were listed gets nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .due(now)
            .filter(issue=issue, subscriber__status=Subscriber.Status.CONFIRMED, subscriber__undeliverable_at=None)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.CLAIMED, claimed_at=now, runner=runner)
    keys = link_keys()
    rows = []
    for delivery_id, subscriber_id, email, salt, stored_hash in (
        Delivery.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk", "subscriber_id", "subscriber__email", "subscriber__link_salt", "subscriber__link_token_hash"
        )
    ):
        token, renew = link_token_for(subscriber_id, salt, stored_hash, keys)
        if renew:
            # The key this subscriber's links were made with is gone: the new link is stored
            # before it is mailed, and the old one stays valid (``Subscriber.renew_link_hash``).
            Subscriber.renew_link_hash(subscriber_id, stored_hash, token)
        rows.append((delivery_id, subscriber_id, email, token))
    return rows


def drop_undeliverable(issue):
    """Pending rows of subscribers who unsubscribed, bounced or complained since listing: nothing goes to them."""
    deliverable = Subscriber.objects.deliverable().values("pk")
    return (
        Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING)
        .exclude(subscriber__in=deliverable)
        .delete()
    )


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


class IssueMailer:
    """Builds each recipient's message from the issue rendered once."""

    def __init__(self, issue):
        self.issue = issue
        self.rendered = render_issue(issue)
        with translation.override(issue.language):
            self.unsubscribe_base = settings.BASE_URL + reverse("newsletter:unsubscribe", args=["TOKEN"])
            self.preferences_base = settings.BASE_URL + reverse("newsletter:preferences", args=["TOKEN"])
        self.from_email = settings.VERTEL.get("NEWSLETTER_FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL
        self.mailto = settings.VERTEL.get("NEWSLETTER_UNSUBSCRIBE_MAILTO", "")

    def message(self, email, token, connection=None):
        unsubscribe_url = self.unsubscribe_base.replace("TOKEN", token)
        preferences_url = self.preferences_base.replace("TOKEN", token)
        html, text = self.rendered.personalise(unsubscribe_url, preferences_url)
        list_unsubscribe = f"<{unsubscribe_url}>"
        if self.mailto:
            list_unsubscribe += f", <mailto:{self.mailto}?subject=unsubscribe>"
        message = EmailMultiAlternatives(
            self.rendered.subject,
            text,
            self.from_email,
            [email],
            connection=connection,
            headers={
                "List-Unsubscribe": list_unsubscribe,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": self.rendered.list_id,
                "Precedence": "bulk",
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(html, "text/html")
        return message


def _header(value):
    if any(char in value for char in "\r\n"):
        # Written raw into the message, a line break would start a header of the title's choosing.
        raise IssueNotSendable(_("The title contains a line break; a mail subject must be a single line."))
    return value if value.isascii() else Header(value, "utf-8").encode()


def _qp(text):
    # Quoted-printable in C; CRLF line ends so soft breaks are CRLF too, as SMTP wants.
    return binascii.b2a_qp(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))


class RawIssueMessages:
    """The issue's MIME message written once, personalised per recipient as bytes.

    Django's ``EmailMessage`` builds every header and part again for each message with the
    ``email`` package, which costs more CPU than the SMTP exchange itself. Here the shared headers
    are encoded once; per recipient only ``To``, ``Date``, ``Message-ID``, ``List-Unsubscribe`` and
    the two quoted-printable bodies (with that recipient's links) are produced. The bytes go over
    the connection Django's SMTP backend opened (its host, port, TLS, login and timeout settings).
    """

    def __init__(self, mailer):
        self.mailer = mailer
        self.boundary = f"==vertel-{secrets.token_hex(12)}"
        rendered = mailer.rendered
        self.from_header = sanitize_address(mailer.from_email, "utf-8")
        self.envelope_from = self.from_header.rsplit("<", 1)[-1].rstrip(">").strip()
        head = (
            f"From: {self.from_header}\r\n"
            f"Subject: {_header(rendered.subject)}\r\n"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'
            f"List-Id: {_header(rendered.list_id)}\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            "Precedence: bulk\r\n"
            "Auto-Submitted: auto-generated\r\n"
        )
        self.head = head.encode("ascii")
        self.text_part = (
            f'--{self.boundary}\r\nContent-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode("ascii")
        self.html_part = (
            f'\r\n--{self.boundary}\r\nContent-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode("ascii")
        self.end = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    def build(self, email, token):
        mailer = self.mailer
        unsubscribe_url = mailer.unsubscribe_base.replace("TOKEN", token)
        preferences_url = mailer.preferences_base.replace("TOKEN", token)
        html, text = mailer.rendered.personalise(unsubscribe_url, preferences_url)
        list_unsubscribe = f"<{unsubscribe_url}>"
        if mailer.mailto:
            list_unsubscribe += f", <mailto:{mailer.mailto}?subject=unsubscribe>"
        personal = (
            f"To: {email}\r\nDate: {formatdate()}\r\nMessage-ID: {make_msgid(domain=DNS_NAME)}\r\n"
            f"List-Unsubscribe: {list_unsubscribe}\r\n\r\n"
        ).encode("ascii")
        return b"".join((self.head, personal, self.text_part, _qp(text), self.html_part, _qp(html), self.end))

    @staticmethod
    def can_send(connection, email):
        # Plain SMTP and an ASCII address (anything else goes through EmailMessage, which encodes it).
        return isinstance(connection, SMTPBackend) and email.isascii() and not any(c in email for c in LINE_BREAKS)

    def send(self, connection, email, token, before_data):
        """One SMTP transaction; ``before_data()`` runs once sender and recipient are accepted, right
        before the message data goes out, and may veto it by returning False (the transaction is reset).

        Refusals raise smtplib's exceptions as ``sendmail`` does, with the server's code.
        """
        smtp = connection.connection
        smtp.ehlo_or_helo_if_needed()
        message = self.build(email, token)
        options = [f"size={len(message)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        code, reply = smtp.mail(self.envelope_from, options)
        if code != 250:
            _after_refusal(smtp, code)
            raise smtplib.SMTPSenderRefused(code, reply, self.envelope_from)
        code, reply = smtp.rcpt(email)
        if code not in (250, 251):
            _after_refusal(smtp, code)
            raise smtplib.SMTPRecipientsRefused({email: (code, reply)})
        if not before_data():
            smtp.rset()
            return False
        code, reply = smtp.data(message)
        if code != 250:
            _after_refusal(smtp, code)
            raise smtplib.SMTPDataError(code, reply)
        return True


def _after_refusal(smtp, code):
    # As smtplib's sendmail: 421 means the server is closing the connection.
    if code == 421:
        smtp.close()
    else:
        smtp.rset()


def refusal_code(error):
    """The SMTP reply code of a refusal, or ``None`` when the server gave no answer (the fate is unknown)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return codes[0] if codes else None
    if isinstance(error, smtplib.SMTPResponseException) and not isinstance(error, smtplib.SMTPServerDisconnected):
        return error.smtp_code
    return None


def _fast_commits():
    """On PostgreSQL, per-message commits need not wait for the disk: a killed worker loses nothing
    (the server has the commit), only a crash of PostgreSQL itself could lose the last few."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


class IssueContent:
    """The rendered issue shared by the sending threads, rendered again when its ``content_version`` moves."""

    def __init__(self, issue):
        self.issue = issue
        self.lock = threading.Lock()
        self.load()

    def load(self):
        # The version is read before rendering: a withdrawal committed in between raises it again,
        # so the next message's check makes this render once more.
        version = NewsletterIssue.objects.filter(pk=self.issue.pk).values_list("content_version", flat=True).get()
        self.issue.refresh_from_db(fields=["title", "intro", "language"])
        mailer = IssueMailer(self.issue)
        if not mailer.rendered.story_count:
            raise IssueNotSendable(
                _("No story in this issue may be sent (withdrawn, unpublished or without newsletter consent).")
            )
        raw = RawIssueMessages(mailer)
        self.version, self.mailer, self.raw = version, mailer, raw
        logger.info("Newsletter issue %s rendered (content version %s).", self.issue.pk, version)

    def current(self):
        with self.lock:
            return self.version, self.mailer, self.raw

    def reload(self, seen_version):
        """Render again unless another thread already did since ``seen_version`` was read."""
        with self.lock:
            if self.version == seen_version:
                self.load()
            return self.version, self.mailer, self.raw


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


def _send_rows(rows, issue, runner, content, throttle, tally):
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


def _send_rows_in_thread(*args):
    from django.db import connections

    try:
        _fast_commits()
        return _send_rows(*args)
    finally:
        connections.close_all()  # this thread's own database connections


def _notify_editors(issue, reason):
    """Tell the issue's editors (its author, and whoever last started or scheduled it) why it did not go out."""
    from wagtail.log_actions import log
    from wagtail.models import ModelLogEntry

    log(instance=issue, action="newsletter.refused", data={"reason": str(reason)})
    users = {issue.created_by} if issue.created_by else set()
    starter = (
        ModelLogEntry.objects.for_instance(issue)
        .filter(action__in=["newsletter.send", "newsletter.schedule"], user__isnull=False)
        .select_related("user")
        .order_by("-timestamp")
        .first()
    )
    if starter is not None:
        users.add(starter.user)
    addresses = sorted({user.email for user in users if user.email})
    if addresses:
        # The title may be the very problem (a line break): the subject gets it on one line.
        subject = _("Newsletter “%(title)s” was not sent") % {"title": " ".join(issue.title.split())}
        body = _("The newsletter issue “%(title)s” was not sent: %(reason)s\n\nOpen it in the admin: %(url)s\n") % {
            "title": issue.title,
            "reason": reason,
            "url": settings.WAGTAILADMIN_BASE_URL + reverse("newsletter_issue_send", args=[issue.pk]),
        }
        EmailMultiAlternatives(subject, body, to=addresses).send(fail_silently=True)


def refuse_issue(issue, runner, reason):
    """The issue cannot go out (see ``IssueNotSendable``).

    Before any message went out it goes back to draft, its recipient list dropped, for the editor
    to fix. Part-way (the last story was withdrawn while sending) the messages not yet sent are
    not sent: those rows fail with the reason, and the issue ends as sent to those already reached.
    """
    logger.warning("Newsletter issue %s not sent: %s", issue.pk, reason)
    with transaction.atomic():
        locked = NewsletterIssue.objects.select_for_update().filter(pk=issue.pk, runner=runner).first()
        if locked is None:
            return  # taken over meanwhile; the new runner decides
        release_rows(locked, runner)
        reached = locked.deliveries.exclude(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED]).exists()
        if not reached:
            locked.deliveries.all().delete()
            NewsletterIssue.objects.filter(pk=issue.pk).update(
                status=NewsletterIssue.Status.DRAFT,
                scheduled_at=None,
                runner="",
                send_started_at=None,
                recipients_listed=False,
            )
        else:
            locked.deliveries.filter(status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED, error=(_("Not sent: ") + str(reason))[:300]
            )
            _finish(issue, runner)
    _notify_editors(issue, reason)


def _finish(issue, runner):
    now = timezone.now()
    NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(
        status=NewsletterIssue.Status.SENT, sent_at=Coalesce(F("sent_at"), now), runner="", heartbeat_at=now
    )


def _release(issue, runner):
    """Stop for now with work left (retries not yet due): the periodic job or a deferred task resumes it."""
    from django_tasks import default_task_backend

    from .tasks import send_issue

    NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(runner="")
    due = (
        Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if due and default_task_backend.supports_defer:
        send_issue.using(run_after=due).enqueue(issue.pk)
    logger.info("Newsletter issue %s paused until %s for retries after temporary refusals.", issue.pk, due)


def send_issue_now(issue_id, *, rate=None, batch_size=None, connections=None, runner=None):
    """Send (or resume sending) an issue; return the number of messages sent by this run.

    ``connections`` (``NEWSLETTER_CONNECTIONS``, default 1) SMTP connections work on each batch
    side by side, one thread each, sharing the rate limit: while one waits for the server's reply,
    another sends.
    """
    from concurrent.futures import ThreadPoolExecutor

    runner = runner or uuid.uuid4().hex
    issue = acquire(issue_id, runner)
    if issue is None:
        return 0
    _fast_commits()
    try:
        content = IssueContent(issue)
    except IssueNotSendable as reason:
        refuse_issue(issue, runner, reason)
        return 0
    list_recipients(issue)
    rate = settings.VERTEL["NEWSLETTER_RATE"] if rate is None else rate
    batch_size = batch_size or settings.VERTEL["NEWSLETTER_BATCH_SIZE"]
    connections = max(1, connections or settings.VERTEL.get("NEWSLETTER_CONNECTIONS", 1))
    throttle = Throttle(rate)
    tally = Tally()
    pool = ThreadPoolExecutor(max_workers=connections) if connections > 1 else None
    try:
        while True:
            if not heartbeat(issue, runner):
                raise LeaseLost
            batch = claim_batch(issue, runner, batch_size)
            if not batch:
                break
            if pool is None:
                _send_rows(batch, issue, runner, content, throttle, tally)
                continue
            futures = [
                pool.submit(_send_rows_in_thread, batch[n::connections], issue, runner, content, throttle, tally)
                for n in range(connections)
            ]
            errors = []
            for future in futures:
                try:
                    future.result()
                except Exception as error:  # noqa: BLE001 - re-raised below, after every thread ended
                    errors.append(error)
            # The most telling first: a lost lease, then an issue that may not go out, then the rest.
            errors.sort(
                key=lambda error: (
                    0 if isinstance(error, LeaseLost) else 1 if isinstance(error, IssueNotSendable) else 2
                )
            )
            if errors:
                raise errors[0]
    except LeaseLost:
        logger.warning("Newsletter issue %s was taken over by another worker; this one stops.", issue.pk)
        return tally.value
    except IssueNotSendable as reason:
        refuse_issue(issue, runner, reason)
        return tally.value
    except Exception:
        # The connection broke: what was not handed over goes back to the queue for the next run;
        # a message handed over without an answer is unknown, never re-sent blindly.
        release_rows(issue, runner)
        NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(runner="")
        raise
    finally:
        if pool is not None:
            pool.shutdown()
    drop_undeliverable(issue)
    if Delivery.objects.filter(issue=issue, status__in=Delivery.IN_PROGRESS).exists():
        _release(issue, runner)
    else:
        _finish(issue, runner)
        logger.info("Newsletter issue %s sent (%s messages in this run).", issue.pk, tally.value)
    return tally.value


def send_test(issue, email):
    """The issue as a subscriber would get it, to the editor's own address (links do not work)."""
    mailer = IssueMailer(issue)
    message = mailer.message(email, "test-link-not-valid")
    message.subject = f"[TEST] {message.subject}"
    message.send()
