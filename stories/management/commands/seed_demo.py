"""Load the demo content (idempotent): ``manage.py seed_demo``."""

from django.core.management.base import BaseCommand, CommandError

from stories.demo.seed import Seeder


class Command(BaseCommand):
    help = "Create demo home pages, story indexes, themes and stories in Dutch and English (safe to run twice)."

    def handle(self, *args, **options):
        try:
            created = Seeder(log=self.stdout.write).run()
        except Exception as error:  # noqa: BLE001 - turn any failure into a sentence and an exit status
            raise CommandError(f"The demo content could not be loaded: {error}") from error
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo content loaded: {created} pages created."))
        else:
            self.stdout.write("Demo content is already there; nothing changed.")
