"""Load the demo content (idempotent): ``manage.py seed_demo``."""

from django.core.management.base import BaseCommand, CommandError

from website.demo.seed import Seeder
from website.public_address import sync_default_site


class Command(BaseCommand):
    help = "Create demo home pages, story indexes, themes and stories in Dutch and English (safe to run twice)."

    def handle(self, *args, **options):
        # Links the demo makes (posts, feeds) use the Site's address: BASE_URL's, before and after the
        # Seeder runs (it creates the Site as Wagtail does, localhost:80, when there is none).
        self.sync_site()
        try:
            created = Seeder(log=self.stdout.write).run()
        except Exception as error:  # noqa: BLE001 - turn any failure into a sentence and an exit status
            raise CommandError(f"The demo content could not be loaded: {error}") from error
        self.sync_site()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo content loaded: {created} pages created."))
        else:
            self.stdout.write("Demo content is already there; nothing changed.")

    def sync_site(self):
        site = sync_default_site()
        if site is not None:
            self.stdout.write(f"The default site's address is now {site.root_url} (from BASE_URL).")
