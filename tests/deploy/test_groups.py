"""Permission groups are declared per app and created in one place (core.groups), after migrate."""

import pytest
from django.contrib.auth.models import Group, Permission

from core.groups import GroupSpec, declared_groups, ensure_groups


def codes(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.django_db
def test_migrate_creates_every_declared_group_with_its_permissions():
    officers = codes(Group.objects.get(name="Consent officers"))
    assert {"consent.view_evidence", "consent.erase_person", "wagtailadmin.access_admin"} <= officers
    channel_admins = codes(Group.objects.get(name="Channel administrators"))
    assert {"vertel_channels.change_channelaccount", "vertel_channels.view_dispatch"} <= channel_admins
    newsletter = codes(Group.objects.get(name="Newsletter editors"))
    assert "newsletter.manage_newsletter" in newsletter and "newsletter.add_subscriber" in newsletter
    # Data minimisation: exporting every address and deleting are granted by hand, one by one.
    assert "newsletter.export_subscribers" not in newsletter
    assert not {code for code in newsletter if code.startswith("newsletter.delete_")}
    editors = codes(Group.objects.get(name="Editors"))
    assert {"consent.view_consenttext", "vertel_channels.change_dispatch"} <= editors
    # Editors see no evidence and manage no accounts.
    assert "consent.view_evidence" not in editors and "vertel_channels.change_channelaccount" not in editors


@pytest.mark.django_db
def test_ensure_groups_only_adds_and_extends_only_groups_that_exist():
    officers = Group.objects.get(name="Consent officers")
    extra = Permission.objects.get(content_type__app_label="newsletter", codename="export_subscribers")
    officers.permissions.add(extra)  # granted by hand
    officers.permissions.remove(Permission.objects.get(codename="view_evidence"))  # taken away by hand
    Group.objects.filter(name="Moderators").delete()
    ensure_groups()
    again = codes(officers)
    assert "newsletter.export_subscribers" in again  # a hand grant is never removed
    assert "consent.view_evidence" in again  # the declared permission is back
    assert not Group.objects.filter(name="Moderators").exists()  # create=False never creates
    before = Group.objects.count()
    ensure_groups()
    assert Group.objects.count() == before


@pytest.mark.django_db
def test_a_spec_with_a_wildcard_and_exclusions():
    ensure_groups([GroupSpec("Readers", permissions=("consent.*",), exclude=("erase_person", "delete_"))])
    readers = codes(Group.objects.get(name="Readers"))
    assert "consent.view_evidence" in readers and "wagtailadmin.access_admin" in readers
    assert "consent.erase_person" not in readers
    assert not {code for code in readers if code.startswith("consent.delete_")}


def test_every_app_declares_its_groups_in_its_groups_module():
    names = [spec.name for spec in declared_groups()]
    assert {"Consent officers", "Channel administrators", "Newsletter editors"} <= set(names)
