"""The home page and the organisation's site-wide settings."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Page, TranslatableMixin
from wagtail.search import index

from core.page_forms import PageForm

from .brand_style import (
    DEFAULT_ACCENT,
    DEFAULT_PRIMARY,
    FONT_CHOICES,
    GRAPHIC_CONTRAST,
    HEX_COLOUR,
    TEXT_CONTRAST,
    lowest_contrast,
)

hex_colour = RegexValidator(HEX_COLOUR, _("Enter a colour as # and six hexadecimal digits, for example #0a5c73."))


class HomePage(Page):
    """The front page of one language: an introduction and the newest stories."""

    intro = models.TextField(_("introduction"), blank=True)
    featured_count = models.PositiveSmallIntegerField(_("number of newest stories shown"), default=6)
    featured_story = models.ForeignKey(
        "stories.StoryPage",
        verbose_name=_("featured story"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown large at the top while it is live; without one, the newest story is featured."),
    )

    base_form_class = PageForm

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["stories.StoryIndexPage", "website.StandardPage"]
    max_count_per_parent = None

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        PageChooserPanel("featured_story", ["stories.PatientStoryPage", "stories.OrganisationStoryPage"]),
        FieldPanel("featured_count"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("home page")

    def get_story_index(self):
        from stories.models import StoryIndexPage

        return StoryIndexPage.objects.child_of(self).live().first()

    def get_context(self, request, *args, **kwargs):
        from stories.models import StoryPage

        context = super().get_context(request, *args, **kwargs)
        context["story_index"] = self.get_story_index()
        # Only live, public stories of this language: a patient story is live only while a consent
        # covers it, and a withdrawal unpublishes it and purges every home page (website.cache).
        stories = StoryPage.objects.live().public().descendant_of(self).for_listing().newest_first()
        newest = list(stories[: self.featured_count + 1])
        featured = None
        if self.featured_story_id:
            featured = next((story for story in newest if story.pk == self.featured_story_id), None)
            if featured is None:
                featured = stories.filter(pk=self.featured_story_id).first()
        if featured is None and newest:
            featured = newest[0]
        context["featured_story"] = featured
        context["latest_stories"] = [story for story in newest if story != featured][: self.featured_count]
        return context


class StandardPage(Page):
    """A plain content page: about us, privacy statement, contact."""

    body = models.TextField(_("body"), blank=True)

    base_form_class = PageForm

    parent_page_types = ["website.HomePage"]
    subpage_types = []
    content_panels = Page.content_panels + [FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


@register_setting(icon="site")
class OrganisationSettings(BaseSiteSetting):
    """Who publishes and how the site looks: shown in the header and footer, feeds, emails and the consent texts.

    The brand (logo, colours, font) reaches the public pages through ``website.branding`` and the
    brand stylesheet; the colours are refused unless text in them stays WCAG AA readable.
    """

    organisation_name = models.CharField(_("organisation name"), max_length=200, default="Vertel")
    contact_email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    address = models.TextField(
        _("address"), blank=True, help_text=_("Shown in the footer of every page, as you write it here.")
    )
    privacy_contact = models.CharField(
        _("privacy contact"), max_length=200, blank=True, help_text=_("Who to contact about personal data.")
    )
    privacy_statement_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("privacy statement page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    privacy_statement_url = models.URLField(
        _("privacy statement address"), blank=True, help_text=_("Or a page elsewhere, when it is not on this site.")
    )
    accessibility_statement_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("accessibility statement page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accessibility_statement_url = models.URLField(
        _("accessibility statement address"),
        blank=True,
        help_text=_("Or a page elsewhere, when it is not on this site."),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown beside the name in the header; a square crop of it is the browser tab's icon."),
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default=DEFAULT_PRIMARY,
        validators=[hex_colour],
        help_text=_("Links and buttons, as #rrggbb. It must be dark enough to read on white (4.5:1)."),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        default=DEFAULT_ACCENT,
        validators=[hex_colour],
        help_text=_("The bar at the top, the focus ring and quote lines, as #rrggbb (at least 3:1 on white)."),
    )
    font = models.CharField(_("font"), max_length=40, choices=FONT_CHOICES, default="system")
    panels = [
        MultiFieldPanel(
            [FieldPanel("organisation_name"), FieldPanel("address"), FieldPanel("phone"), FieldPanel("contact_email")],
            heading=_("Organisation and contact"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("privacy_contact"),
                FieldPanel("privacy_statement_page"),
                FieldPanel("privacy_statement_url"),
                FieldPanel("accessibility_statement_page"),
                FieldPanel("accessibility_statement_url"),
            ],
            heading=_("Statements"),
        ),
        MultiFieldPanel(
            [FieldPanel("logo"), FieldPanel("primary_colour"), FieldPanel("accent_colour"), FieldPanel("font")],
            heading=_("Appearance"),
        ),
    ]

    class Meta:
        verbose_name = _("organisation")

    def clean(self):
        super().clean()
        errors = {}
        if HEX_COLOUR.match(self.primary_colour or ""):
            ratio, background = lowest_contrast(self.primary_colour)
            if ratio < TEXT_CONTRAST:
                errors["primary_colour"] = _(
                    "Text in %(colour)s on %(background)s has a contrast of %(ratio).1f:1; at least 4.5:1 is "
                    "needed to stay readable (WCAG AA). Choose a darker colour."
                ) % {"colour": self.primary_colour, "background": background, "ratio": ratio}
        if HEX_COLOUR.match(self.accent_colour or ""):
            ratio, background = lowest_contrast(self.accent_colour, ("#ffffff",))
            if ratio < GRAPHIC_CONTRAST:
                errors["accent_colour"] = _(
                    "%(colour)s on white has a contrast of %(ratio).1f:1; at least 3:1 is needed to see the "
                    "focus ring (WCAG AA). Choose a darker colour."
                ) % {"colour": self.accent_colour, "ratio": ratio}
        for name in ("privacy_statement", "accessibility_statement"):
            if getattr(self, f"{name}_page_id") and getattr(self, f"{name}_url"):
                errors[f"{name}_url"] = _("Choose a page or an address, not both.")
        if errors:
            raise ValidationError(errors)


class SupportBox(TranslatableMixin, models.Model):
    """The "if this story touched you" box under every story page: one per language.

    A snippet (Snippets › Support boxes) that the organisation fills in once per language and
    translates with Wagtail's "Translate" action. A story page shows the box of its own locale;
    when that one is missing or empty, the box of the default language (``website.story_hooks``).
    The boxes reach the pages through the cached brand (``website.branding``); saving or deleting
    one purges the cached pages (``website.signal_handlers``).
    """

    title = models.CharField(
        _("title"),
        max_length=120,
        blank=True,
        help_text=_("For example: Did this story touch you? Empty: 'If this story touched you'."),
    )
    text = models.TextField(
        _("text"),
        blank=True,
        help_text=_("Where a reader can turn for help or to talk. A blank line starts a new paragraph."),
    )

    panels = [FieldPanel("title"), FieldPanel("text")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("support box")
        verbose_name_plural = _("support boxes")
        constraints = [models.UniqueConstraint(fields=["locale"], name="website_supportbox_one_per_locale")]

    def __str__(self):
        return self.title or str(_("Support box"))

    def clean(self):
        super().clean()
        if self.locale_id and SupportBox.objects.filter(locale_id=self.locale_id).exclude(pk=self.pk).exists():
            raise ValidationError(_("This language has a support box already: edit that one."))
