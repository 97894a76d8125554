"""The issue's message, rendered once and built per recipient: the mass-sending fast path.

``IssueMailer`` builds a recipient's ``EmailMessage`` (for another backend, or an address SMTP
needs encoded); ``RawIssueMessages`` writes the same MIME message as bytes, its shared headers
encoded once, and hands it over one SMTP transaction at a time. ``IssueContent`` holds the
rendering the sending threads share and renders again when the issue's ``content_version``
moves (a withdrawal). Mass sending builds its own bytes on purpose; single mails go through
``core.mail``.
"""

import binascii
import logging
import secrets
import smtplib
import threading
from email.header import Header
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.organisation import sender

from .models import NewsletterIssue
from .rendering import render_issue
from .validators import LINE_BREAKS

logger = logging.getLogger(__name__)


class IssueNotSendable(Exception):
    """The issue must not go out as it is; the message says why, for the editor."""


class IssueMailer:
    """Builds each recipient's message from the issue rendered once."""

    def __init__(self, issue):
        self.issue = issue
        self.rendered = render_issue(issue)
        with translation.override(issue.language):
            self.unsubscribe_base = settings.BASE_URL + reverse("newsletter:unsubscribe", args=["TOKEN"])
            self.preferences_base = settings.BASE_URL + reverse("newsletter:preferences", args=["TOKEN"])
        # The organisation's name (core.organisation) with the newsletter's own address, if it has one.
        self.from_email = sender(settings.VERTEL.get("NEWSLETTER_FROM_EMAIL") or None)
        self.mailto = settings.VERTEL.get("NEWSLETTER_UNSUBSCRIBE_MAILTO", "")

    def parts(self, token):
        """The recipient's HTML and text bodies and the list headers, for the links of ``token``."""
        unsubscribe_url = self.unsubscribe_base.replace("TOKEN", token)
        preferences_url = self.preferences_base.replace("TOKEN", token)
        html, text = self.rendered.personalise(unsubscribe_url, preferences_url)
        list_unsubscribe = f"<{unsubscribe_url}>"
        if self.mailto:
            list_unsubscribe += f", <mailto:{self.mailto}?subject=unsubscribe>"
        headers = {
            "List-Unsubscribe": list_unsubscribe,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": self.rendered.list_id,
            "Precedence": "bulk",
            "Auto-Submitted": "auto-generated",
        }
        return html, text, headers

    def message(self, email, token, connection=None):
        html, text, headers = self.parts(token)
        message = EmailMultiAlternatives(
            self.rendered.subject, text, self.from_email, [email], connection=connection, headers=headers
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
