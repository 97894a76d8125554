"""The "related stories" of a story page, and which story pages show a story as related.

A story shows up to ``RELATED_COUNT`` live, public stories of its own language, never itself, from
the first of these that has any:

1. the stories its editor chose (``RelatedStory``);
2. the stories that share a theme with it (by the theme's ``translation_key``, so a story filed
   under another language's copy of the theme still counts);
3. the stories of the same department or location (also by ``translation_key``);
4. the newest stories.

Each list is newest first. One query ranks every candidate by the first list it belongs to, so a
story page spends the same number of queries on the box whatever list fills it.
``pages_showing_as_related`` answers the opposite question for the page cache (``website.cache``):
which pages may show a story, after a withdrawal too, when it is no longer live.
"""

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When

RELATED_COUNT = 3

CHOSEN, SAME_THEME, SAME_DEPARTMENT, NEWEST = range(4)
NEWEST_ORDER = ("-date", "-first_published_at", "-pk")


def _links(model):
    """The editor's chosen links (``RelatedStory``), from ``model``'s schema: no import of ``stories.pages``."""
    return model._meta.get_field("related_stories").related_model


def _theme_keys(model, story_ids):
    """The translation keys of the themes of the stories ``story_ids``, as a subquery."""
    theme = model.themes.field.related_model
    return theme.objects.filter(stories__in=story_ids).values("translation_key")


def _department_keys(model, story_ids):
    department = model.department.field.related_model
    return department.objects.filter(stories__in=story_ids).values("translation_key")


def _shares_theme(model, story_ids):
    """True for a candidate that has a theme of one of ``story_ids`` (as an ``Exists``)."""
    through = model.themes.through
    return Exists(
        through.objects.filter(storypage_id=OuterRef("pk"), theme__translation_key__in=_theme_keys(model, story_ids))
    )


def related_stories(page, model):
    """The stories the related box of ``page`` shows, with what a card needs (``for_listing``).

    ``model``: the story page model whose rows are the candidates (``stories.pages.StoryPage``).
    """
    RelatedStory = _links(model)  # noqa: N806

    chosen = Exists(RelatedStory.objects.filter(page_id=page.pk, story_id=OuterRef("pk")))
    tiers = [When(chosen, then=Value(CHOSEN)), When(_shares_theme(model, [page.pk]), then=Value(SAME_THEME))]
    if page.department_id:
        tiers.append(
            When(department__translation_key__in=_department_keys(model, [page.pk]), then=Value(SAME_DEPARTMENT))
        )
    candidates = (
        model.objects.live()
        .public()
        .filter(locale_id=page.locale_id)
        .exclude(pk=page.pk)
        .annotate(related_tier=Case(*tiers, default=Value(NEWEST), output_field=IntegerField()))
        .order_by("related_tier", *NEWEST_ORDER)
    )
    # Only the first tier that has any: "related" means the closest kind there is, not a mix.
    ranked = list(candidates.for_listing()[:RELATED_COUNT])
    return [story for story in ranked if story.related_tier == ranked[0].related_tier] if ranked else []


def pages_showing_as_related(pages, model):
    """The live story pages (rows of ``model``) that may show one of ``pages`` as related, in any state.

    The pages that chose it, that share a theme or a department with it (in any language: a
    superset of the pages whose box it fills), and, when it is one of the newest stories of its
    language, every page whose box falls back to the newest: those that share no theme or
    department with another live story of the language and chose none that is live.
    """
    RelatedStory = _links(model)  # noqa: N806

    stories = list(model.objects.filter(pk__in=[page.pk for page in pages]))
    ids = [story.pk for story in stories]
    if not ids:
        return []
    live = model.objects.live()
    shown = Q(pk__in=RelatedStory.objects.filter(story_id__in=ids).values("page_id")) | Q(_shares_theme(model, ids))
    shown |= Q(department__translation_key__in=_department_keys(model, ids))
    found = {page.pk: page for page in live.filter(shown).exclude(pk__in=ids)}
    for locale_id in {story.locale_id for story in stories}:
        in_language = live.filter(locale_id=locale_id)
        if any(_among_the_newest(story, in_language) for story in stories if story.locale_id == locale_id):
            for page in _falling_back_to_newest(in_language, model).exclude(pk__in=ids):
                found[page.pk] = page
    return list(found.values())


def _among_the_newest(story, in_language):
    """True when ``story`` (live or not any more) sorts among the newest ``RELATED_COUNT`` of its language."""
    if story.first_published_at is None:
        return True
    newer = (
        Q(date__gt=story.date)
        | Q(date=story.date, first_published_at__gt=story.first_published_at)
        | Q(date=story.date, first_published_at=story.first_published_at, pk__gt=story.pk)
    )
    return in_language.exclude(pk=story.pk).filter(newer).count() < RELATED_COUNT


def _falling_back_to_newest(in_language, model):
    """The live stories of one language whose related box shows the newest stories."""
    RelatedStory = _links(model)  # noqa: N806

    shared_themes = (
        model.themes.through.objects.filter(storypage__in=in_language)
        .values("theme__translation_key")
        .annotate(stories=Count("storypage", distinct=True))
        .filter(stories__gt=1)
        .values("theme__translation_key")
    )
    shared_departments = (
        in_language.exclude(department=None)
        .values("department__translation_key")
        .annotate(stories=Count("pk", distinct=True))
        .filter(stories__gt=1)
        .values("department__translation_key")
    )
    chose_live = RelatedStory.objects.filter(story__in=in_language).values("page_id")
    return (
        in_language.exclude(themes__translation_key__in=shared_themes)
        .exclude(department__translation_key__in=shared_departments)
        .exclude(pk__in=chose_live)
    )
