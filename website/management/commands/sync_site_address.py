"""Give the default Wagtail Site the host and port of BASE_URL: ``manage.py sync_site_address [--force]``."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from website.public_address import in_step, site_address, sync_default_site


class Command(BaseCommand):
    help = (
        "Set the default Site's hostname and port from BASE_URL, as migrate does while the Site still has a "
        "local address; --force also replaces an address someone configured."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Also replace a public address set by hand.")

    def handle(self, *args, force=False, **options):
        if site_address() is None:
            raise CommandError(
                f"BASE_URL ({settings.BASE_URL}) is not an address a Wagtail Site can have: "
                "use https://<host> or http://<host>[:<port>]."
            )
        default = Site.objects.filter(is_default_site=True).first()
        if default is None:
            raise CommandError("There is no default Site; mark one as the default under Settings > Sites.")
        site = sync_default_site(force=force)
        if site is not None:
            self.stdout.write(self.style.SUCCESS(f"The default site's address is now {site.root_url}."))
        elif in_step(default):
            self.stdout.write(f"The default site's address is already {default.root_url}.")
        elif not force:
            raise CommandError(
                f"The default site's address ({default.root_url}) was set by hand; "
                "run with --force to replace it with BASE_URL's."
            )
        else:
            raise CommandError(f"Another Site already has the address {settings.BASE_URL}.")
