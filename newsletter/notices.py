"""The newsletter's single mails to editors: the test send of an issue, and "this issue was not sent".

Both go through ``core.mail`` with the templates under ``newsletter/mail/``. The mass sending of
an issue to its subscribers does not: it builds its own bytes for speed (``newsletter.issue_mail``).
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core import mail

from .issue_mail import IssueMailer


def send_test(issue, email):
    """The issue as a subscriber would get it, to the editor's own address (links do not work)."""
    mailer = IssueMailer(issue)
    html, text, headers = mailer.parts("test-link-not-valid")
    mail.send(
        "newsletter/mail/test_issue",
        {"subject": mailer.rendered.subject, "html": html, "text": text},
        [email],
        language=issue.language,
        from_email=mailer.from_email,
        headers=headers,
    )


def notify_editors(issue, reason):
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
    context = {
        # The title may be the very problem (a line break): the subject gets it on one line.
        "subject_title": " ".join(issue.title.split()),
        "title": issue.title,
        "reason": reason,
        "url": settings.WAGTAILADMIN_BASE_URL + reverse("newsletter_issue_send", args=[issue.pk]),
    }
    # In the language active where the refusal happened, as before (the worker's default).
    mail.send("newsletter/mail/not_sent", context, addresses, language=translation.get_language(), fail_silently=True)
