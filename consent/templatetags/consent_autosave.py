"""Template tag of the page create and edit forms: may Wagtail autosave this page (``consent.autosave``)?"""

from django import template

from ..autosave import autosave_allowed

register = template.Library()


@register.simple_tag
def consent_autosave_allowed(page_or_class):
    """False for a patient story (a consent-gated page class or page), True for any other page."""
    return autosave_allowed(page_or_class)
