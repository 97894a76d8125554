"""Which pages the consent gate holds, and whose consents count for them.

The vocabulary the policy (``consent.policy``), the workflow (``consent.workflow``) and the gate
(``consent.gate``) share, so that each of them depends on it and none on the others' back
(issue 12: ``models ← gating ← policy ← workflow ← gate``). It imports nothing of consent.

``consent.gate`` is the public home of these names: the apps above import them from there.
"""


class ConsentGatedPage:
    """The mark of a page a consent must cover; ``consent.gate.ConsentGatedPageMixin`` adds the gate.

    A plain class without fields or behaviour: the policy tests for it without knowing the gate.
    """


def is_consent_gated(page):
    """True when a consent must cover ``page`` (a specific page, or a base ``Page`` of one)."""
    if isinstance(page, ConsentGatedPage):
        return True
    # A base ``Page`` (a tree deletion, a page chooser) knows its specific class without loading it.
    specific_class = getattr(page, "specific_class", None)
    return specific_class is not None and issubclass(specific_class, ConsentGatedPage)


def consent_story_id(page):
    """The story whose consents count: an alias shows its original's content, so its consents."""
    return page.alias_of_id or page.pk
