"""Name → object registries.

Every pluggable part of svit (models, datasets, losses, training tasks, batch mixers) is looked up
by the name a config gives, so a new family adds files and registrations, never a new train loop.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable, Iterator


class Registry:
    """A mapping from names to callables, filled by the ``register`` decorator."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Any] = {}

    def register(self, name: str | None = None) -> Callable[[Any], Any]:
        """Decorator registering ``obj`` under ``name`` (default: its ``__name__``)."""

        def deco(obj: Any) -> Any:
            key = name or obj.__name__
            if key in self._items and self._items[key] is not obj:
                raise KeyError(f"{self.kind} '{key}' is already registered by {self._items[key]!r}")
            self._items[key] = obj
            return obj

        return deco

    def get(self, name: str) -> Any:
        """Returns the object registered as ``name``; the error lists the closest known names."""
        if name not in self._items:
            close = difflib.get_close_matches(name, list(self._items), n=3, cutoff=0.4)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise KeyError(
                f"Unknown {self.kind} '{name}'. Registered: {sorted(self._items)}.{hint}"
            )
        return self._items[name]

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def names(self) -> list[str]:
        return sorted(self._items)
