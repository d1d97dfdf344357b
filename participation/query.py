"""Query parameters with a fixed set of values, read by one rule on pages and in the API.

A value outside the set answers 400 and names the allowed values (JSON under ``/api/``), so a
mistyped link never silently shows something else. An absent parameter means the default; on
pages an empty one does too (a filter form's "all" option sends ``name=``), in the API an empty
value is as wrong as any other. The API's OpenAPI document lists the same values (``schema``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from .service_errors import ServiceError


class QueryError(ServiceError):
    status = 400


@dataclass(frozen=True)
class Choice:
    name: str
    allowed: tuple[str, ...]
    default: str | None = None
    description: str = ""

    def read(self, args: Mapping[str, str], blank_is_default: bool = False) -> str | None:
        value = args.get(self.name)
        if value is None or (blank_is_default and value == ""):
            return self.default
        if value not in self.allowed:
            raise QueryError(
                "invalid_parameter",
                _("“%(name)s” must be one of: %(allowed)s.", name=self.name, allowed=", ".join(self.allowed)),
            )
        return value

    def schema(self) -> dict:
        """The parameter in the OpenAPI document."""
        schema: dict = {"type": "string", "enum": list(self.allowed)}
        if self.default is not None:
            schema["default"] = self.default
        parameter = {"name": self.name, "in": "query", "required": False, "schema": schema}
        if self.description:
            parameter["description"] = self.description
        return parameter


@dataclass(frozen=True)
class Text:
    """A free-text parameter (e.g. a page cursor): documented, read as it is. A ``required`` one
    that is missing or blank answers 400 ``bad_request``."""

    name: str
    description: str = ""
    required: bool = False

    def read(self, args: Mapping[str, str], blank_is_default: bool = False) -> str | None:
        value = (args.get(self.name) or "").strip() if self.required else args.get(self.name)
        if self.required and not value:
            raise QueryError("bad_request", _("The parameter %(name)s is required.", name=self.name))
        return value or None

    def schema(self) -> dict:
        schema: dict = {"type": "string", "minLength": 1} if self.required else {"type": "string"}
        return {"name": self.name, "in": "query", "required": self.required, "schema": schema,
                "description": self.description}
