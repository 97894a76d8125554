"""The demo's sent newsletter: one issue per language in the public archive, as if it went out.

The issue carries the organisation stories that were published before its date (patient stories
could be included while their consent covers the newsletter; the demo keeps to its own news). It
is marked sent, with a date a few days ago; nothing is mailed and nobody is listed as a recipient:
the demo has no subscribers. Looked up by language and title, so a second run adds nothing.
"""

import datetime

from django.utils import timezone

from newsletter.models import IssueItem, NewsletterIssue

SENT_DAYS_AGO = 4
SENT_HOUR = 9

ISSUES = {
    "nl": {
        "title": "Nieuwsbrief: nieuws uit Ziekenhuis De Linde",
        "intro": (
            "<p>Beste lezer,</p><p>In deze nieuwsbrief: een nieuwe leefstijlpoli, een nacht met de "
            "verpleegkundigen van het hospice en een vacature op de afdeling verloskunde.</p>"
        ),
    },
    "en": {
        "title": "Newsletter: news from De Linde hospital",
        "intro": (
            "<p>Dear reader,</p><p>In this newsletter: a new lifestyle clinic, a night with the hospice "
            "nurses and a vacancy on the maternity ward.</p>"
        ),
    },
}


def sent_time(today=None):
    today = today or timezone.localdate()
    day = today - datetime.timedelta(days=SENT_DAYS_AGO)
    return datetime.datetime.combine(day, datetime.time(SENT_HOUR), tzinfo=timezone.get_current_timezone())


def ensure_issue(language, stories):
    """The sent issue in ``language`` with ``stories`` (pages, newest first); made once."""
    text = ISSUES[language]
    issue = NewsletterIssue.objects.filter(language=language, title=text["title"]).first()
    if issue is not None:
        return issue
    sent_at = sent_time()
    issue = NewsletterIssue.objects.create(
        language=language,
        title=text["title"],
        intro=text["intro"],
        status=NewsletterIssue.Status.SENT,
        scheduled_at=sent_at,
        send_started_at=sent_at,
        sent_at=sent_at + datetime.timedelta(minutes=2),
        recipients_listed=True,
        created_at=sent_at - datetime.timedelta(days=1),
    )
    published_before = sent_at.date()
    chosen = [story for story in stories if story.date < published_before]
    for order, story in enumerate(chosen):
        IssueItem.objects.create(issue=issue, story=story, sort_order=order)
    return issue
