"""Stories: the patient and organisation story page types, their index, themes and storytellers."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.images.models import Filter
from wagtail.models import Orderable, Page, PageManager, PageQuerySet, TranslatableMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from channels.mixins import SyndicatedPageMixin
from channels.panels import StoryPageForm, syndication_panels
from consent.gate import ConsentGatedPageMixin
from consent.naming import Naming  # defined in consent; ``from stories.models import Naming`` still works
from core.page_forms import NoHiddenInitialMixin, PageForm

from .blocks import StoryBodyBlock

STORIES_PER_PAGE = 12

# Renditions every listing and story page uses, in the exact filter specs that the templates'
# {% picture %} tags expand to; prefetched together so a page of cards is a constant number of
# queries however many stories it shows.
CARD_IMAGE_SPEC = "format-{avif,webp,jpeg}|fill-{480x320,960x640}"
HERO_IMAGE_SPEC = "format-{avif,webp,jpeg}|fill-{800x450,1600x900}"
SOCIAL_IMAGE_SPEC = "fill-1200x630|format-jpeg"
CARD_RENDITIONS = tuple(Filter.expand_spec(CARD_IMAGE_SPEC))
HERO_RENDITIONS = (*Filter.expand_spec(HERO_IMAGE_SPEC), SOCIAL_IMAGE_SPEC)


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


class Department(models.Model):
    """A department or location of the organisation that a story is about."""

    name = models.CharField(_("name"), max_length=150)
    location = models.CharField(_("location"), max_length=150, blank=True)

    panels = [FieldPanel("name"), FieldPanel("location")]

    class Meta:
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


register_snippet(Theme)
register_snippet(Department)
register_snippet(Person)


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


class StoryTag(TaggedItemBase):
    content_object = ParentalKey("stories.StoryPage", related_name="tagged_items", on_delete=models.CASCADE)


class StoryPageQuerySet(PageQuerySet):
    def for_listing(self):
        """Everything a story card shows, fetched in a fixed number of queries."""
        image_model = get_image_model()
        return (
            self.defer_streamfields()
            .select_related("hero_image", "department", "locale")
            .prefetch_related(
                Prefetch(
                    "hero_image",
                    queryset=image_model.objects.prefetch_renditions(*CARD_RENDITIONS),
                ),
                "themes",
            )
        )

    def newest_first(self):
        return self.order_by("-date", "-first_published_at", "-pk")


StoryPageManager = PageManager.from_queryset(StoryPageQuerySet)


def story_edit_handler(content_panels):
    """Wagtail's three tabs plus "Sharing" (the syndication plan and reach, from ``channels``)."""
    return TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
            ObjectList(syndication_panels(), heading=_("Sharing")),
        ]
    )


class StoryEditorForm(NoHiddenInitialMixin, StoryPageForm):
    """The story editor's form, comparing ``date`` (default: today) with the page, not a hidden input."""


class StoryPage(SyndicatedPageMixin, Page):
    """What every story has in common. Not created directly: choose a patient or organisation story.

    The shared fields live on one table so the index, search and feeds can list both story types
    in one query.
    """

    date = models.DateField(_("story date"), default=timezone.localdate)
    summary = models.TextField(
        _("summary"), max_length=500, help_text=_("One or two sentences; also the default text of social posts.")
    )
    hero_image = models.ForeignKey(
        get_image_model(),
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_image_alt = models.CharField(
        _("hero image alt text"),
        max_length=250,
        blank=True,
        help_text=_("Required with a hero image: describe it for people who cannot see it."),
    )
    body = StreamField(StoryBodyBlock(), verbose_name=_("body"), blank=True)
    themes = ParentalManyToManyField(Theme, verbose_name=_("themes"), blank=True, related_name="stories")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department or location"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
    )
    tags = ClusterTaggableManager(through=StoryTag, blank=True, verbose_name=_("tags"))
    content_note = models.CharField(
        _("content note"),
        max_length=200,
        blank=True,
        help_text=_("Shown before the story, e.g. 'This story is about palliative care.'"),
    )

    objects = StoryPageManager()
    base_form_class = StoryEditorForm

    is_creatable = False
    parent_page_types = ["stories.StoryIndexPage"]
    subpage_types = []

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
        index.FilterField("locale_id"),
        index.RelatedFields("themes", [index.SearchField("name")]),
    ]

    content_panels = Page.content_panels + [
        FieldPanel("date"),
        FieldPanel("summary"),
        MultiFieldPanel([FieldPanel("hero_image"), FieldPanel("hero_image_alt")], heading=_("Hero image")),
        FieldPanel("content_note"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("themes"), FieldPanel("department"), FieldPanel("tags")], heading=_("Classification")
        ),
        InlinePanel("related_stories", label=_("Related stories"), max_num=4),
    ]

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    def save(self, *args, **kwargs):
        # A patient story saved as a StoryPage, e.g. with update_fields=["themes"], which Django's
        # pre_save never sees: the consent gate checks it here (see consent.gate).
        from consent.gate import check_save_through_parent_class

        self._consent_gate_checked = check_save_through_parent_class(self, kwargs.get("update_fields"))
        try:
            return super().save(*args, **kwargs)
        finally:
            self._consent_gate_checked = False

    def clean(self):
        super().clean()
        if self.hero_image_id and not self.hero_image_alt.strip():
            raise ValidationError({"hero_image_alt": _("Describe the hero image for people who cannot see it.")})

    @property
    def story_type(self):
        """``patient`` or ``organisation``, without loading the specific page."""
        return STORY_TYPE_BY_MODEL.get(self.specific_class, "") if self.specific_class else ""

    @property
    def story_type_label(self):
        return self.specific_class._meta.verbose_name if self.specific_class else ""

    def get_storyteller_name(self):
        """The storyteller's name as it may be shown; overridden by patient stories."""
        return ""

    @cached_property
    def localized_themes(self):
        return [theme.localized for theme in self.themes.all()]

    def get_related_stories(self):
        ids = [link.story_id for link in self.related_stories.all()]
        if not ids:
            return StoryPage.objects.none()
        return StoryPage.objects.live().public().filter(pk__in=ids).for_listing().newest_first()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if self.hero_image_id:
            # One query for the image and its renditions instead of one per rendition.
            self.hero_image = (
                get_image_model().objects.prefetch_renditions(*HERO_RENDITIONS).filter(pk=self.hero_image_id).first()
            )
        context["related"] = self.get_related_stories()
        return context


class RelatedStory(Orderable):
    page = ParentalKey(StoryPage, related_name="related_stories", on_delete=models.CASCADE)
    story = models.ForeignKey(StoryPage, verbose_name=_("story"), related_name="+", on_delete=models.CASCADE)

    panels = [FieldPanel("story")]


class PatientStoryPage(ConsentGatedPageMixin, StoryPage):
    """A patient's own story, told with their signed consent.

    The storyteller is a person record, never free text in the body, so erasure and naming work
    in one place. ``naming`` is set by the signed consent, not by the editor's wish.
    """

    storyteller = models.ForeignKey(
        Person,
        verbose_name=_("storyteller"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
    )
    naming = models.CharField(
        _("how the storyteller is named"),
        max_length=20,
        choices=Naming.choices,
        default=Naming.ANONYMOUS,
    )

    template = "stories/story_page.html"
    parent_page_types = ["stories.StoryIndexPage"]
    subpage_types = []

    content_panels = (
        StoryPage.content_panels[:1]
        + [
            MultiFieldPanel([FieldPanel("storyteller"), FieldPanel("naming")], heading=_("Storyteller")),
        ]
        + StoryPage.content_panels[1:]
    )
    edit_handler = story_edit_handler(content_panels)

    class Meta:
        verbose_name = _("patient story")
        verbose_name_plural = _("patient stories")

    def get_storyteller_name(self):
        return display_name(self.storyteller, self.naming)


class OrganisationStoryPage(StoryPage):
    """A story the organisation tells about itself: news, innovation, behind the scenes, vacancies."""

    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        INNOVATION = "innovation", _("Innovation")
        BEHIND_THE_SCENES = "behind_the_scenes", _("Behind the scenes")
        VACANCY = "vacancy", _("Vacancy")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.NEWS)

    template = "stories/story_page.html"
    parent_page_types = ["stories.StoryIndexPage"]
    subpage_types = []

    content_panels = StoryPage.content_panels[:1] + [FieldPanel("kind")] + StoryPage.content_panels[1:]
    edit_handler = story_edit_handler(content_panels)

    class Meta:
        verbose_name = _("organisation story")
        verbose_name_plural = _("organisation stories")


STORY_TYPE_CHOICES = [("patient", _("Patient stories")), ("organisation", _("Organisation stories"))]
STORY_TYPE_BY_MODEL = {PatientStoryPage: "patient", OrganisationStoryPage: "organisation"}
MODEL_BY_STORY_TYPE = {value: key for key, value in STORY_TYPE_BY_MODEL.items()}


class StoryIndexPage(Page):
    """Lists the stories below it, newest first, filterable by theme, tag and story type."""

    intro = models.TextField(_("introduction"), blank=True)

    base_form_class = PageForm
    parent_page_types = ["website.HomePage"]
    subpage_types = ["stories.PatientStoryPage", "stories.OrganisationStoryPage"]
    max_count_per_parent = 1

    content_panels = Page.content_panels + [FieldPanel("intro")]

    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("story index")

    def get_stories(self):
        return StoryPage.objects.child_of(self).live().public()

    def get_cached_paths(self):
        """The index's address and every variant a CDN may keep (``website.cache_middleware.shared_query``).

        One filter at a time (each story type, theme and tag) and every page number, one page more
        than the stories fill (a withdrawal can take the last page away). Every tag is listed, used
        or not: a tag an editor just took off the last story still has a page in the CDN that shows
        that story. Combinations of filters are never kept by a CDN, so they are not listed.
        """
        variants = [f"type={key}" for key in MODEL_BY_STORY_TYPE]
        variants += [f"theme={slug}" for slug in Theme.objects.values_list("slug", flat=True).distinct()]
        variants += [f"tag={slug}" for slug in Tag.objects.values_list("slug", flat=True) if slug]
        pages_count = max(1, -(-self.get_stories().count() // STORIES_PER_PAGE)) + 1
        variants += [f"page={number}" for number in range(1, pages_count + 1)]
        return ["/", *(f"?{variant}" for variant in variants)]

    def filter_stories(self, params, stories=None):
        """Apply the filters in ``params`` (a QueryDict); return the queryset and the active filters."""
        stories = self.get_stories() if stories is None else stories
        active = {}
        theme = (params.get("theme") or "").strip()
        if theme:
            stories = stories.filter(themes__slug=theme)
            active["theme"] = theme
        tag = (params.get("tag") or "").strip()
        if tag:
            stories = stories.filter(tags__slug=tag)
            active["tag"] = tag
        story_type = (params.get("type") or "").strip()
        if story_type in MODEL_BY_STORY_TYPE:
            model = MODEL_BY_STORY_TYPE[story_type]
            stories = stories.type(model)
            active["type"] = story_type
        return stories, active

    def get_filter_counts(self, base=None):
        """Counts of live stories per theme and per story type, for the filter menu.

        Themes are counted by slug, which is the same in every language, so a translated story
        that still links the original language's theme is counted under this language's theme.
        """
        base = self.get_stories() if base is None else base
        by_slug = {
            row["themes__slug"]: row["count"]
            for row in base.exclude(themes=None)
            .order_by()
            .values("themes__slug")
            .annotate(count=Count("pk", distinct=True))
        }
        themes = list(Theme.objects.filter(locale_id=self.locale_id, slug__in=by_slug).order_by("name"))
        for theme in themes:
            theme.count = by_slug[theme.slug]
        by_content_type = dict(base.order_by().values_list("content_type_id").annotate(count=Count("pk")))
        type_counts = {
            story_type: by_content_type.get(ContentType.objects.get_for_model(model).pk, 0)
            for story_type, model in MODEL_BY_STORY_TYPE.items()
        }
        return themes, type_counts

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # ``public()`` costs a query; work it out once for the listing and the counts.
        base = self.get_stories()
        stories, active = self.filter_stories(request.GET, base)
        themes, type_counts = self.get_filter_counts(base)
        paginator = Paginator(stories.for_listing().newest_first(), STORIES_PER_PAGE)
        # The counts already tell how many stories a single filter (or none) leaves: spare the query.
        if not active:
            paginator.count = sum(type_counts.values())
        elif list(active) == ["type"]:
            paginator.count = type_counts.get(active["type"], 0)
        elif list(active) == ["theme"]:
            paginator.count = next((theme.count for theme in themes if theme.slug == active["theme"]), 0)
        try:
            page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page = paginator.page(1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        context.update(
            {
                "stories": page,
                "paginator": paginator,
                "active_filters": active,
                "themes": themes,
                "type_counts": type_counts,
                "story_types": STORY_TYPE_CHOICES,
            }
        )
        return context
