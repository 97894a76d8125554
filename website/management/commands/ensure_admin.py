"""Create the local admin account if it does not exist, and print its login."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an admin account for local use (username from ADMIN_USERNAME, default 'admin')."

    def handle(self, *args, **options):
        username = os.environ.get("ADMIN_USERNAME", "admin")
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is not None:
            self.stdout.write(f"Admin account '{username}' already exists; its password is unchanged.")
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email="admin@localhost", password=password)
        self.stdout.write(self.style.SUCCESS(f"Admin login: username '{username}', password '{password}'"))
