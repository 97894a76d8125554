"""The publishing gate for patient stories (see DESIGN.md, 'Wagtail 8 facts')."""


class ConsentGatedPageMixin:
    """Mixed into ``PatientStoryPage``: no live save without a covering consent."""
