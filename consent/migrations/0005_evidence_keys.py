"""Keyed evidence digests: one secret key per consent request, destroyed on erasure (issue 11, point 13).

Entries written before this migration keep their unsalted SHA-256 digests (bare 64-character hex):
they cannot be rekeyed, because the entry hash covers them and, for erased persons, the details they
were made from are gone. New entries carry ``hmac1:`` (request key) or ``hmacs1:`` (site key) digests.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0004_manifest_v2_cover_shown_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consentevent",
            name="personal_digest",
            field=models.CharField(blank=True, editable=False, max_length=80),
        ),
        migrations.CreateModel(
            name="EvidenceKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sealed_key", models.TextField(editable=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                (
                    "request",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="evidence_key",
                        to="consent.consentrequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "evidence key",
                "verbose_name_plural": "evidence keys",
            },
        ),
    ]
