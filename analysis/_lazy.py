"""Package roots that import their public names on first use (PEP 562).

Importing any submodule runs its package's ``__init__`` first; a root that
imported every public name up front would make the command line wait for the
whole stack (pandas, scipy, formulaic) before it can start anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from importlib import import_module
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, names: Mapping[str, str], public: Sequence[str],
                    namespace: MutableMapping[str, Any],
                    ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's module-level ``__getattr__`` and ``__dir__``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str
        Each public name and the module (relative to ``package``) that defines it.
    public : sequence of str
        The package's ``__all__``.
    namespace : mutable mapping
        The package's ``globals()``: a name is kept there once imported.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)`` for the package's module.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__
