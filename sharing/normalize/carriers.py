"""Faster construction for the frozen dataclasses that carry each value through analysis.

A text yields a few objects per value (found, parsed, kept), and a frozen dataclass's
generated `__init__` sets each field through `object.__setattr__`, about three times the
cost of a plain class. `quick_init` replaces that `__init__` with one that writes the slots
through their descriptors: the same signature, defaults and result, and assignment after
construction still raises `FrozenInstanceError`.
"""

import dataclasses
from typing import Any, TypeVar, cast

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen, slotted dataclass `cls` a faster `__init__` (a class decorator,
    applied above `@dataclass`)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__, which quick_init would skip")
    namespace: dict[str, Any] = {}
    arguments = []
    body = []
    for field in dataclasses.fields(cast(Any, cls)):
        if not field.init or field.kw_only or field.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{field.name}: quick_init supports plain fields")
        name = field.name
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        if field.default is dataclasses.MISSING:
            arguments.append(name)
        else:
            namespace[f"_default_{name}"] = field.default
            arguments.append(f"{name}=_default_{name}")
        body.append(f"    _set_{name}(self, {name})")
    source = f"def __init__(self, {', '.join(arguments)}):\n" + "\n".join(body or ["    pass"])
    exec(source, namespace)  # noqa: S102 - the source is built from field names only
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
