"""A strict check of Bungie JSON against the official OpenAPI spec (tests/data/bungie).

Stricter than plain JSON Schema where Bungie's wire format is: every field must be one the
spec names (no invented fields), int64 values must be decimal strings, uint32/int32 values
JSON numbers, enums (not bitmasks) must hold one of their listed values, dates must parse.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any

from tests.conftest import BUNGIE_DATA

INT_FORMATS = {"int32", "uint32", "int16", "byte", "uint16", "int8", "uint8", None}


@cache
def spec() -> dict[str, Any]:
    return json.loads((BUNGIE_DATA / "openapi.json").read_text(encoding="utf-8"))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def response_schema(path: str) -> dict[str, Any]:
    """The 200 response body schema (envelope included) of a spec path template."""
    response = _resolve(spec()["paths"][path]["get"]["responses"]["200"])
    return response["content"]["application/json"]["schema"]


def check(instance: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    errors: list[str] = []
    _check(instance, schema, where, errors)
    return errors


def _check(value: Any, schema: dict[str, Any], where: str, errors: list[str]) -> None:
    schema = _resolve(schema)
    for part in schema.get("allOf", ()):
        _check(value, part, where, errors)
    if value is None:
        if not schema.get("nullable"):
            errors.append(f"{where}: null where the spec has no nullable")
        return
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        if not isinstance(value, dict):
            errors.append(f"{where}: expected object, got {type(value).__name__}")
            return
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        key_schema = schema.get("x-dictionary-key")
        for key, item in value.items():
            if props is not None and key in props:
                _check(item, props[key], f"{where}.{key}", errors)
            elif isinstance(extra, dict):
                if (
                    key_schema
                    and _resolve(key_schema).get("type") == "integer"
                    and not re.fullmatch(r"-?[0-9]+", key)
                ):
                    errors.append(f"{where}: dictionary key {key!r} is not an integer")
                _check(item, extra, f"{where}[{key}]", errors)
            elif props is not None or extra is False:
                errors.append(f"{where}: field {key!r} is not in the spec")
        return
    if kind == "array":
        if not isinstance(value, list):
            errors.append(f"{where}: expected array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(item, schema.get("items", {}), f"{where}[{i}]", errors)
        return
    if kind == "integer":
        if fmt in ("int64", "uint64"):
            if not (isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value)):
                errors.append(f"{where}: int64 must be a decimal string, got {value!r}")
            return
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{where}: expected integer ({fmt}), got {value!r}")
            return
        _check_enum(value, schema, where, errors)
        return
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{where}: expected number, got {value!r}")
        return
    if kind == "string" and fmt == "byte":
        # The spec says base64 string; real responses (samples/getprofile_c200) send 0-255.
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
            errors.append(f"{where}: expected a byte 0-255, got {value!r}")
        return
    if kind == "string":
        if not isinstance(value, str):
            errors.append(f"{where}: expected string, got {value!r}")
        elif fmt == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                errors.append(f"{where}: not a date-time: {value!r}")
        return
    if kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{where}: expected boolean, got {value!r}")


def _check_enum(value: int, schema: dict[str, Any], where: str, errors: list[str]) -> None:
    ref = schema.get("x-enum-reference")
    if not ref or schema.get("x-enum-is-bitmask"):
        return
    enum = _resolve(ref).get("enum")
    if enum is not None and str(value) not in {str(e) for e in enum}:
        errors.append(f"{where}: {value} is not a value of {ref['$ref'].rsplit('/', 1)[-1]}")
