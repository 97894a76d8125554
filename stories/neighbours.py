"""The "next story" of a story page, and which story pages show a story as their next.

A story's next story is the live, public story of the same index that was first published just
before it: the reading order of the index, newest first, by a key that an edit never changes
(``first_published_at``, then the id). A changed story date therefore never moves a story between
two others, and the one page that shows a story as its next is always its newer neighbour:
``pages_showing_as_next`` finds it at purge time (``website.cache``), after a withdrawal too,
when the story itself is no longer live.
"""

from django.db.models import Q


def _candidates(model, parent):
    return model.objects.child_of(parent).live().public()


def next_story(page, model, parent=None):
    """The story a visitor reads after ``page``, or ``None``; with what a card shows.

    ``model``: the story page model whose rows are the candidates (``stories.pages.StoryPage``);
    ``parent``: the page's index, when the caller has it already.
    """
    if page.first_published_at is None:
        return None
    parent = parent or page.get_parent()
    older = Q(first_published_at__lt=page.first_published_at) | Q(
        first_published_at=page.first_published_at, pk__lt=page.pk
    )
    return (
        _candidates(model, parent).filter(older).for_listing().order_by("-first_published_at", "-pk").first()
        if parent
        else None
    )


def pages_showing_as_next(pages, model):
    """The live story pages (rows of ``model``) whose next story is one of ``pages``, in any state."""
    shown = []
    for page in pages:
        if page.first_published_at is None or page.depth <= 1:
            continue
        newer = Q(first_published_at__gt=page.first_published_at) | Q(
            first_published_at=page.first_published_at, pk__gt=page.pk
        )
        neighbour = (
            _candidates(model, page.get_parent())
            .exclude(pk=page.pk)
            .filter(newer)
            .order_by("first_published_at", "pk")
            .first()
        )
        if neighbour is not None:
            shown.append(neighbour)
    return shown
