"""Turns the command's ``--json`` documents into the report dataclasses.

One generic decoder, driven by the dataclasses' type hints, so that a report is declared once
(in ``_reports.py``) with fields named exactly as the JSON keys.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")
# The origins of a union: typing.Union, and from Python 3.10 types.UnionType (`X | Y` evaluated).
# The generated reports write Optional[X], which Python 3.9's get_type_hints can evaluate.
_UNIONS: tuple[object, ...] = (typing.Union, getattr(types, "UnionType", typing.Union))


class DecodeError(ValueError):
    """The command printed JSON that does not have the shape the report declares."""


def decode(cls: type[T], value: Any) -> T:
    """Builds an instance of the dataclass `cls` from the parsed JSON object `value`.

    Keys the dataclass does not declare are ignored; a declared key that is missing takes the
    field's default, or raises ``DecodeError`` when the field has none.
    """
    result: T = _decode(cls, value, cls.__name__)
    return result


def _decode(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if any(origin is union for union in _UNIONS):
        if value is None and type(None) in arguments:
            return None
        (inner,) = [argument for argument in arguments if argument is not type(None)]
        return _decode(inner, value, where)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _decode_dataclass(hint, value, where)
    if origin is list:
        _expect(value, list, where)
        return [_decode(arguments[0], item, f"{where}[{index}]") for index, item in enumerate(value)]
    if origin is tuple:
        _expect(value, list, where)
        if len(arguments) != len(value):
            raise DecodeError(f"{where}: expected {len(arguments)} items, got {len(value)}")
        return tuple(_decode(argument, item, f"{where}[{index}]") for index, (argument, item) in enumerate(zip(arguments, value)))
    if origin is dict:
        _expect(value, dict, where)
        return {key: _decode(arguments[1], item, f"{where}.{key}") for key, item in value.items()}
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DecodeError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int and isinstance(value, bool):
        raise DecodeError(f"{where}: expected an integer, got {value!r}")
    if hint in (int, str, bool):
        _expect(value, hint, where)
        return value
    raise TypeError(f"{where}: unsupported type hint {hint!r}")


def _decode_dataclass(cls: type, value: Any, where: str) -> Any:
    _expect(value, dict, where)
    hints = typing.get_type_hints(cls)
    arguments: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        if field.name in value:
            arguments[field.name] = _decode(hints[field.name], value[field.name], f"{where}.{field.name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise DecodeError(f"{where}: missing key {field.name!r}")
    return cls(**arguments)


def _expect(value: Any, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        raise DecodeError(f"{where}: expected {kind.__name__}, got {value!r}")
