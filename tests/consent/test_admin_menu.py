"""One "Consent" entry in the admin menu, beside Pages, holding what each person may use."""

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu

pytestmark = pytest.mark.django_db


def admin_request(user):
    # Wagtail registers the viewsets' menu entries when the admin's URLs load.
    request = RequestFactory().get(reverse("wagtailadmin_home"))
    request.user = user
    return request


def consent_menu(user):
    """The labels of the Consent submenu as ``user`` sees it, or None when the entry is not shown."""
    request = admin_request(user)
    entries = {item.name: item for item in admin_menu.menu_items_for_request(request)}
    if "consent" not in entries:
        return None
    return [str(item.label) for item in in_order(entries["consent"].menu.menu_items_for_request(request))]


def in_order(items):
    # The sidebar shows the items sorted by their order, as here.
    return sorted(items, key=lambda item: item.order)


def test_a_consent_officer_finds_the_requests_evidence_and_texts_in_one_place(django_user_model):
    officer = django_user_model.objects.create_user(username="officer", password="pw")
    officer.groups.add(Group.objects.get(name="Consent officers"))
    assert consent_menu(officer) == ["Consent evidence", "Consent texts", "Messages of one person"]

    officer.groups.add(Group.objects.get(name="Editors"))
    officer = django_user_model.objects.get(pk=officer.pk)  # permissions are cached per user object
    assert consent_menu(officer) == ["Consent requests", "Consent evidence", "Consent texts", "Messages of one person"]


def test_an_editor_sees_the_requests_and_texts_but_not_the_evidence(editor):
    assert consent_menu(editor) == ["Consent requests", "Consent texts"]


def test_the_entry_comes_right_after_pages_and_is_gone_for_who_can_use_none_of_it(superuser, django_user_model):
    request = admin_request(superuser)
    names = [item.name for item in in_order(admin_menu.menu_items_for_request(request))]
    assert names.index("consent") == names.index("explorer") + 1
    assert consent_menu(superuser) == [
        "Consent requests",
        "Consent evidence",
        "Consent texts",
        "Messages of one person",
    ]

    nobody = django_user_model.objects.create_user(username="reader", password="pw")
    assert consent_menu(nobody) is None


def all_items(request, items):
    """Every menu item the user sees, submenus opened."""
    for item in items:
        yield item
        submenu = getattr(item, "menu", None)
        if submenu is not None:
            yield from all_items(request, submenu.menu_items_for_request(request))


def test_menu_labels_follow_each_readers_language_after_the_menu_was_first_built_in_another(superuser):
    """Wagtail builds the menu once and keeps its items: a label translated when built stays in that language."""
    from django.utils import translation
    from wagtail.admin.menu import reports_menu, settings_menu

    request = admin_request(superuser)
    menus = (admin_menu, reports_menu, settings_menu)

    def labels():
        return [str(item.label) for menu in menus for item in all_items(request, menu.menu_items_for_request(request))]

    with translation.override("en"):
        english = labels()  # an English reader draws the menu first
    with translation.override("nl"):
        dutch = labels()
        expected = [translation.gettext(label) for label in english]
    assert "Dispatch log" in english and "Consent evidence" in english
    wrong = [(shown, meant) for shown, meant in zip(dutch, expected, strict=True) if shown != meant]
    assert not wrong, wrong
