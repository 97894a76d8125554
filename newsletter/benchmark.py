"""Tools of the newsletter benchmark and crash tests: seeding a scratch database, a counting SMTP sink.

Run only inside a scratch database (see ``website.settings.scratch``).
"""

import asyncio
import signal
import sys

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

    from stories.demo.seed import Seeder
    from stories.models import StoryPage

    from .models import IssueItem, NewsletterIssue, Subscriber, derive_link_token, hash_token
    from .rendering import consent_problem

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


class CountingHandler:
    def __init__(self):
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.bytes += len(envelope.original_content)
        return "250 OK"


def run_sink(port):
    """An SMTP server that accepts and counts; prints the count and the bytes received when terminated (SIGTERM)."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)

    def stop(*args):
        controller.stop()
        print(handler.count, handler.bytes, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    run_sink(int(sys.argv[1]))
