"""Frozen, versioned configuration dataclasses with a JSON round trip.

Policy and grade scale are :class:`Config` subclasses: frozen dataclasses
whose fields are plain JSON values (numbers, strings, tuples, nested
mappings). ``from_dict`` names any unknown or missing field; each subclass
checks its values in ``__post_init__`` and raises :class:`ConfigError`
naming the field, what was expected and what was found.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Cut(Config):
...     version: str = "1"
...     bands: tuple = (0.1, 0.2)
>>> Cut.from_json(Cut().to_json()) == Cut()
True
>>> Cut.from_dict({"version": "1", "band": [0.1]})
Traceback (most recent call last):
...
bnpl_risk.errors.ConfigError: Cut has no field 'band'; its fields are bands, version. ...
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from bnpl_risk.errors import ConfigError

__all__ = ["Config", "require"]

C = TypeVar("C", bound="Config")


def require(ok: bool, owner: str, field: str, expected: str, found: Any) -> None:
    """Raise :class:`ConfigError` naming ``owner.field`` unless ``ok``.

    Examples
    --------
    >>> require(False, "GradeScale", "pdo", "a positive number", -1)
    Traceback (most recent call last):
    ...
    bnpl_risk.errors.ConfigError: GradeScale.pdo must be a positive number; found -1.
    """
    if not ok:
        raise ConfigError(f"{owner}.{field} must be {expected}; found {found!r}.")


def _tuples(value: Any) -> Any:
    """JSON arrays back to tuples, recursively, so round trips compare equal."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Config:
    """Base of frozen configuration dataclasses (see module docstring)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python view of every field (tuples stay tuples)."""
        return asdict(self)

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """Build from a mapping such as one read from JSON; names bad fields."""
        if not isinstance(data, dict):
            raise ConfigError(
                f"{cls.__name__}.from_dict needs a mapping of field names to values; "
                f"found {type(data).__name__}."
            )
        known = sorted(f.name for f in fields(cls))
        for name in sorted(data):
            if name not in known:
                raise ConfigError(
                    f"{cls.__name__} has no field {name!r}; its fields are "
                    f"{', '.join(known)}. Fix the name or drop it."
                )
        return cls(**{k: _tuples(v) for k, v in data.items()})

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text of :meth:`to_dict`; also written to ``path`` if given."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=True)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls: type[C], source: str | Path) -> C:
        """Build from JSON text or from a path to a JSON file."""
        text = str(source)
        if not text.lstrip().startswith("{"):
            path = Path(source)
            if not path.is_file():
                raise ConfigError(
                    f"{cls.__name__}.from_json: {path} is neither JSON text nor an existing file."
                )
            text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{cls.__name__}.from_json: not valid JSON ({exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}). Fix the file."
            ) from None
        return cls.from_dict(data)
