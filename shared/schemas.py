"""Building blocks for request and response models shared by every service."""

from __future__ import annotations

import types
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, PlainSerializer, ValidationInfo
from pydantic import field_validator, model_validator
from pydantic_core import CoreSchema

T = TypeVar("T")


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC with a `Z`, to the second, as the contract shows."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Timestamp = Annotated[datetime, PlainSerializer(rfc3339, return_type=str, when_used="json")]


class InputModel(BaseModel):
    """A request body: unknown fields are rejected, strings are trimmed, JSON types are kept.

    Strings are validated as sent (so `maxLength` means what the schema says) and trimmed after.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _json_types_are_kept(cls, value: Any, info: ValidationInfo) -> Any:
        """Lax parsing takes `true` or `"3"` for a number and `0` for a date; the schema does not."""
        if _has_nul(value):
            raise ValueError("text must not contain NUL (U+0000)")
        kind = _json_kind(cls.model_fields[info.field_name].annotation)
        values = value.values() if kind == "numbers" and isinstance(value, dict) else [value]
        if kind in ("number", "numbers") and any(isinstance(v, bool | str) for v in values):
            raise ValueError("Input should be a JSON number")
        if kind == "date" and not isinstance(value, str | None):
            raise ValueError("Input should be a date string (YYYY-MM-DD)")
        return value

    @model_validator(mode="after")
    def _trimmed(self) -> "InputModel":
        for name in type(self).model_fields:
            value = getattr(self, name)
            # Written past __setattr__, which would count the field as sent by the client.
            if type(value) is str:  # enum members are strings too: they stay as they are
                self.__dict__[name] = value.strip()
            elif isinstance(value, list) and value and all(type(item) is str for item in value):
                self.__dict__[name] = [item.strip() for item in value]
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        """Documents the NUL rule on every free-text property (patterned ones state it themselves)."""
        schema = handler(core_schema)
        for node in handler.resolve_ref_schema(schema).get("properties", {}).values():
            forbid_nul(node)
        return schema


class OutputModel(BaseModel):
    """A response body, built from rows or dicts."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a collection; `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


def forbid_nul(node: dict[str, Any]) -> None:
    """Adds NO_NUL to the string schemas in `node` that no pattern, enum or format bounds yet."""
    for key in ("anyOf", "oneOf", "allOf"):
        for child in node.get(key, []):
            forbid_nul(child)
    if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(node):
        node["pattern"] = NO_NUL
    if isinstance(node.get("items"), dict):
        forbid_nul(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        forbid_nul(node["additionalProperties"])


def _json_kind(annotation: Any) -> str | None:
    """'number', 'numbers' (a mapping to numbers) or 'date' for the fields the guard watches."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        kinds = {_json_kind(arg) for arg in get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is Annotated:
        return _json_kind(get_args(annotation)[0])
    if origin is dict:
        return "numbers" if _json_kind(get_args(annotation)[1]) == "number" else None
    if annotation in (int, float):
        return "number"
    if annotation in (date, datetime):
        return "date"
    return None


# No text anywhere may hold NUL: PostgreSQL cannot store it, so it is refused at the door (422).
NO_NUL = r"^[^\x00]*$"
# Trimmed input must keep a visible character. The class is the Unicode White_Space set the
# trimming strips, spelled out so JSON Schema validators and pydantic agree on what "blank" is.
NON_BLANK = (r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
             r"\u205f\u3000][^\x00]*$")
