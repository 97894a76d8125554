"""Seeding a scratch database for the newsletter benchmark and crash tests.

Run only inside a scratch database (see ``website.settings.scratch``). The counting SMTP server
the benchmark sends to is ``devtools.loopback.smtp``.
"""

SEED_CHUNK = 5000


def seed(count, language="nl", stories=4):
    """Create ``count`` confirmed subscribers and one issue ready to send; return the issue.

    The issue carries ``stories`` stories of the demo content (``seed_demo``: images, and for
    patient stories a consent that covers the newsletter), so each message is as large as a real
    one, with its images' rendition URLs, summaries and tracked links.
    """
    import secrets

    from django.db import transaction
    from django.utils import timezone

    from newsletter.models import IssueItem, NewsletterIssue, Subscriber, derive_link_token, hash_token
    from newsletter.rendering import consent_problem
    from stories.models import StoryPage
    from website.demo.seed import Seeder

    now = timezone.now()
    created = 0
    while created < count:
        size = min(SEED_CHUNK, count - created)
        with transaction.atomic():
            rows = [
                Subscriber(
                    email=f"reader{created + n:07d}@bench.example",
                    language=language,
                    status=Subscriber.Status.CONFIRMED,
                    source=Subscriber.Source.IMPORT,
                    source_detail="benchmark",
                    opted_in_at=now,
                    confirmed_at=now,
                    link_salt=secrets.token_hex(16),
                )
                for n in range(size)
            ]
            rows = Subscriber.objects.bulk_create(rows)
            for row in rows:
                row.link_token_hash = hash_token(derive_link_token(row.pk, row.link_salt))
            Subscriber.objects.bulk_update(rows, ["link_token_hash"])
        created += size
    chosen = []
    if stories:
        Seeder(log=lambda *args: None).run()
        candidates = (
            StoryPage.objects.live()
            .filter(locale__language_code=language, hero_image__isnull=False)
            .order_by("-first_published_at")
        )
        chosen = [story for story in candidates if consent_problem(story, language) is None][:stories]
    issue = NewsletterIssue.objects.create(
        language=language,
        title="Benchmark",
        intro="<p>" + "Een nieuwsbrief met echte lengte. " * 40 + "</p>",
        status=NewsletterIssue.Status.SENDING,
    )
    for order, story in enumerate(chosen):
        IssueItem.objects.create(issue=issue, story=story, sort_order=order)
    return issue
