"""Channel adapters: one module per network, found by their ``kind``.

``get_adapter_class("mastodon")`` imports every module in this package once and returns the
:class:`~channels.adapters.base.Adapter` subclass whose ``kind`` matches.
"""

import importlib
import pkgutil
from functools import cache

from .base import Adapter


@cache
def adapter_classes():
    found = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_") or module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            is_adapter = isinstance(value, type) and issubclass(value, Adapter) and value is not Adapter
            if is_adapter and value.kind and value.__module__ == module.__name__:
                found[value.kind] = value
    return dict(sorted(found.items()))


def get_adapter_class(kind):
    try:
        return adapter_classes()[kind]
    except KeyError:
        raise LookupError(f"No channel adapter of kind {kind!r}.") from None


def kind_choices():
    return [(kind, cls.label) for kind, cls in adapter_classes().items()]
