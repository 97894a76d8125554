"""Permission groups: declared as data by each app, created in one place.

An app that needs a group declares it in ``<app>/groups.py`` as ``GROUPS``, a list of
:class:`GroupSpec`. After every ``migrate`` (``post_migrate``, connected once by the project's
composition root, ``website``) :func:`ensure_groups` creates each declared group and adds the
permissions the declarations list. Several apps may declare the same group (each adds what its own
views need to Wagtail's "Editors", say); a spec with ``create=False`` only adds to a group that exists.

It only ever adds: a permission an administrator took away by hand comes back after the next
``migrate``, but one granted by hand is never removed. Permissions that do not exist yet (an app whose
own ``post_migrate`` has not run) are added on a later call: the handler runs after every app.
"""

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

ADMIN_ACCESS = "wagtailadmin.access_admin"


@dataclass(frozen=True)
class GroupSpec:
    """A group and the permissions one app wants it to have.

    ``permissions`` are ``"app_label.codename"``; ``"app_label.*"`` means every permission of the
    app, minus the codenames (or prefixes ending in ``_``) listed in ``exclude``.
    """

    name: str
    permissions: tuple = ()
    exclude: tuple = ()
    admin_access: bool = True
    create: bool = True


def declared_groups():
    """Every app's ``GROUPS``, in the order of ``INSTALLED_APPS``."""
    specs = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "groups"):
            specs.extend(getattr(import_module(f"{config.name}.groups"), "GROUPS", ()))
    return specs


def _excluded(codename, exclude):
    return any(codename == item or (item.endswith("_") and codename.startswith(item)) for item in exclude)


def permissions_of(spec):
    """The ``Permission`` rows ``spec`` names (those that exist already)."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    wanted = list(spec.permissions) + ([ADMIN_ACCESS] if spec.admin_access else [])
    query = Q(pk__in=[])
    for item in wanted:
        app_label, codename = item.split(".", 1)
        query |= (
            Q(content_type__app_label=app_label)
            if codename == "*"
            else Q(content_type__app_label=app_label, codename=codename)
        )
    found = Permission.objects.filter(query).select_related("content_type")
    explicit = {item for item in wanted if not item.endswith(".*")}
    return [
        permission
        for permission in found
        if f"{permission.content_type.app_label}.{permission.codename}" in explicit
        or not _excluded(permission.codename, spec.exclude)
    ]


def ensure_groups(specs=None, **kwargs):
    """Create the declared groups and add their permissions, idempotently (a ``post_migrate`` receiver)."""
    from django.contrib.auth.models import Group

    for spec in declared_groups() if specs is None else specs:
        if spec.create:
            group, _created = Group.objects.get_or_create(name=spec.name)
        else:
            group = Group.objects.filter(name=spec.name).first()
            if group is None:
                continue
        group.permissions.add(*permissions_of(spec))
