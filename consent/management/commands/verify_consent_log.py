"""Check the consent evidence log's hash chain: ``manage.py verify_consent_log``."""

from django.core.management.base import BaseCommand, CommandError

from consent.evidence import verify_chain
from consent.models import ConsentEvent


class Command(BaseCommand):
    help = "Verify that no consent evidence entry was edited, deleted or reordered."

    def handle(self, *args, **options):
        problem = verify_chain()
        if problem:
            raise CommandError(f"The consent evidence log is broken. {problem}")
        count = ConsentEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"The consent evidence log is intact ({count} entries)."))
