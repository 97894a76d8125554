"""The support box per language: a translatable snippet, filled from the organisation settings' one.

What the organisation wrote in the settings (once per site, shown to every language) becomes the
support box of the default language; the other languages start without one and fall back to it.
"""

import django.db.models.deletion
import uuid
from django.db import migrations, models


def copy_settings_box(apps, schema_editor):
    from django.conf import settings

    OrganisationSettings = apps.get_model("website", "OrganisationSettings")
    SupportBox = apps.get_model("website", "SupportBox")
    Locale = apps.get_model("wagtailcore", "Locale")
    row = (
        OrganisationSettings.objects.filter(site__is_default_site=True).first()
        or OrganisationSettings.objects.order_by("pk").first()
    )
    if row is None or not (row.support_title or row.support_text):
        return
    locale = Locale.objects.filter(language_code=settings.LANGUAGE_CODE).first() or Locale.objects.order_by("pk").first()
    if locale is None or SupportBox.objects.filter(locale=locale).exists():
        return
    SupportBox.objects.create(
        translation_key=uuid.uuid4(), locale=locale, title=row.support_title, text=row.support_text
    )


def copy_box_back(apps, schema_editor):
    from django.conf import settings

    OrganisationSettings = apps.get_model("website", "OrganisationSettings")
    SupportBox = apps.get_model("website", "SupportBox")
    box = SupportBox.objects.filter(locale__language_code=settings.LANGUAGE_CODE).first()
    if box is not None:
        OrganisationSettings.objects.update(support_title=box.title, support_text=box.text)


class Migration(migrations.Migration):

    dependencies = [
        ('wagtailcore', '0098_apitoken'),
        ('website', '0003_homepage_featured_story'),
    ]

    operations = [
        migrations.CreateModel(
            name='SupportBox',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('translation_key', models.UUIDField(default=uuid.uuid4, editable=False)),
                ('title', models.CharField(blank=True, help_text="For example: Did this story touch you? Empty: 'If this story touched you'.", max_length=120, verbose_name='title')),
                ('text', models.TextField(blank=True, help_text='Where a reader can turn for help or to talk. A blank line starts a new paragraph.', verbose_name='text')),
                ('locale', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale')),
            ],
            options={
                'verbose_name': 'support box',
                'verbose_name_plural': 'support boxes',
                'abstract': False,
                'constraints': [models.UniqueConstraint(fields=('locale',), name='website_supportbox_one_per_locale')],
                'unique_together': {('translation_key', 'locale')},
            },
        ),
        migrations.RunPython(copy_settings_box, copy_box_back),
        migrations.RemoveField(
            model_name='organisationsettings',
            name='support_text',
        ),
        migrations.RemoveField(
            model_name='organisationsettings',
            name='support_title',
        ),
    ]
