"""The snippets stories are classified by and told about: themes, departments and storytellers.

Themes and departments are translatable (one row per language, linked by ``translation_key``);
storytellers are people, the same in every language. The snippets are registered in
``stories.wagtail_hooks``. ``display_name`` is the one place a storyteller's name is worked out
from the naming the signed consent chose.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import TranslatableMixin

from consent.naming import Naming


class Theme(TranslatableMixin, models.Model):
    """A care domain a story belongs to (diabetes, dementia, maternity…), one per language."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        help_text=_("Used in filter addresses; keep it the same in every language."),
    )
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]
        unique_together = [("translation_key", "locale"), ("slug", "locale")]

    def __str__(self):
        return self.name


class Department(TranslatableMixin, models.Model):
    """A department or location of the organisation that a story is about, one per language."""

    name = models.CharField(_("name"), max_length=150)
    location = models.CharField(_("location"), max_length=150, blank=True)
    url = models.URLField(
        _("web address"),
        blank=True,
        help_text=_("The department's page about its care; story pages link it under 'More about this care'."),
    )

    panels = [FieldPanel("name"), FieldPanel("location"), FieldPanel("url")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.location})" if self.location else self.name


class Person(models.Model):
    """A storyteller: the patient a story is about. Personal data; erased on request."""

    full_name = models.CharField(_("full name"), max_length=200)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    pseudonym = models.CharField(
        _("pseudonym"), max_length=100, blank=True, help_text=_("Shown when the storyteller chooses a pseudonym.")
    )
    birth_date = models.DateField(
        _("date of birth"),
        null=True,
        blank=True,
        help_text=_("Needed to know whether a parent or guardian must sign the consent."),
    )
    email = models.EmailField(_("email"), blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("full_name"),
        FieldPanel("first_name"),
        FieldPanel("pseudonym"),
        FieldPanel("birth_date"),
        FieldPanel("email"),
    ]

    class Meta:
        verbose_name = _("storyteller")
        verbose_name_plural = _("storytellers")
        ordering = ["full_name"]

    def __str__(self):
        return self.full_name

    def age_on(self, day):
        if not self.birth_date:
            return None
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def get_first_name(self):
        return self.first_name or self.full_name.split(" ")[0]


def in_locale(item, locale_id):
    """``item``'s translation in the locale ``locale_id``, or ``item`` itself when it has none."""
    if item is None or not locale_id or item.locale_id == locale_id:
        return item
    return type(item).objects.filter(translation_key=item.translation_key, locale_id=locale_id).first() or item


def display_name(person, naming):
    """The name shown for ``person`` under ``naming``; ``""`` when anonymous."""
    if person is None or naming == Naming.ANONYMOUS:
        return ""
    if naming == Naming.FULL_NAME:
        return person.full_name
    if naming == Naming.FIRST_NAME:
        return person.get_first_name()
    if naming == Naming.PSEUDONYM:
        return person.pseudonym
    return ""
