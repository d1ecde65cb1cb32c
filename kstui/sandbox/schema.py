"""CRD structural-schema handling the way kube-apiserver (apiextensions-apiserver) does it.

On create/update of a custom resource the server prunes unknown fields and drops non-nullable
nulls while decoding, applies defaults, then validates with kube-openapi and checks list-type
set/map uniqueness: `prepare` runs those steps in that order. Causes carry the server's
StatusCause reason, message (Kubernetes 1.30 wording) and field path.

Schemas are treated as immutable: each is compiled once and cached by id().
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Cause:
    """One metav1.StatusCause of a 422 Invalid answer."""

    reason: str
    message: str
    field: str


# Formats kept by StripUnsupportedFormatsPostProcess; the rest (int32, double...) are dropped
# before validation. Of the kept ones, those without a checker in _FORMATS always pass.
_SUPPORTED_FORMATS = frozenset(
    (
        "bsonobjectid",
        "uri",
        "email",
        "hostname",
        "ipv4",
        "ipv6",
        "cidr",
        "mac",
        "uuid",
        "uuid3",
        "uuid4",
        "uuid5",
        "isbn",
        "isbn10",
        "isbn13",
        "creditcard",
        "ssn",
        "hexcolor",
        "rgbcolor",
        "byte",
        "password",
        "date",
        "duration",
        "datetime",
        "date-time",
    )
)
_META = ("apiVersion", "kind", "metadata")


class _Node:
    """One schema node, digested once so that per-object work does no schema lookups."""

    def __init__(self, s: dict[str, Any]) -> None:
        g: Callable[[str], Any] = s.get  # a JSON value, None when absent
        # the server turns x-kubernetes-int-or-string into type [integer, string]
        self.types: tuple[str, ...] = (
            ("integer", "string")
            if g("x-kubernetes-int-or-string")
            else ((g("type"),) if g("type") else ())
        )
        self.nullable, self.enum = bool(g("nullable")), g("enum") or None
        self.fmt = g("format") if g("format") in _SUPPORTED_FORMATS else ""
        self.props = {k: _Node(v) for k, v in (g("properties") or {}).items()}
        self.required = tuple(g("required") or ())
        items = g("items")
        self.items = _Node(items) if isinstance(items, dict) else None
        ap = g("additionalProperties")
        self.has_addl = ap is not None and ap is not False
        self.addl = _Node(ap) if isinstance(ap, dict) else None
        self.preserve = g("x-kubernetes-preserve-unknown-fields") is True
        self.embedded = g("x-kubernetes-embedded-resource") is True
        self.pattern_src = g("pattern") or ""
        self.pattern = _compile_re(self.pattern_src)
        self.min_len, self.max_len = g("minLength"), g("maxLength")
        self.str_rules = (
            self.pattern or self.fmt or self.min_len is not None or (self.max_len is not None)
        )
        self.min_items, self.max_items = g("minItems"), g("maxItems")
        self.min_props, self.max_props = g("minProperties"), g("maxProperties")
        self.bounds = tuple(
            (g(k), bool(g(ex)), word)
            for k, ex, word in (
                ("minimum", "exclusiveMinimum", "greater"),
                ("maximum", "exclusiveMaximum", "less"),
            )
            if g(k) is not None
        )
        self.unique = bool(g("uniqueItems"))
        self.any_of, self.one_of, self.all_of = (
            tuple(_Node(x) for x in g(k) or ()) for k in ("anyOf", "oneOf", "allOf")
        )
        not_ = g("not")
        self.not_ = _Node(not_) if isinstance(not_, dict) else None
        self.composed = bool(self.any_of or self.one_of or self.all_of or self.not_)
        self.has_default, self.default = "default" in s, g("default")
        self.defaults = tuple((k, p) for k, p in self.props.items() if p.has_default)
        self.list_type, self.map_keys = g("x-kubernetes-list-type"), g("x-kubernetes-list-map-keys")
        kids = (*self.props.values(), self.items, self.addl)
        # lets the list-type walk skip subtrees without set/map lists
        self.has_lists: bool = self.list_type in ("set", "map") or any(
            k and k.has_lists for k in kids
        )


def _compile_re(pattern: str) -> re.Pattern[str] | None:
    try:  # Go RE2 spells end-of-text \z; a pattern Python cannot compile is not enforced
        return re.compile(pattern.replace(r"\z", r"\Z")) if pattern else None
    except re.error:
        return None


_CACHE: dict[int, tuple[dict[str, Any], _Node]] = {}


def _compiled(schema: dict[str, Any]) -> _Node:
    hit = _CACHE.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = _CACHE[id(schema)] = (schema, _Node(schema))  # keeping the dict pins its id
    return hit[1]


def prune(schema: dict[str, Any] | None, obj: dict[str, Any]) -> None:
    """Drop, in place, every field the structural schema does not know (structuralpruning)."""
    if schema is not None:
        _prune(obj, _compiled(schema), root=True)


def _prune(x: Any, s: _Node | None, root: bool = False, keep: bool = False) -> None:
    # keep: under x-kubernetes-preserve-unknown-fields unknown fields stay (kube's skipPrune),
    # known ones are still pruned, and list items inherit the mode
    keep = keep or (s is not None and s.preserve)
    if isinstance(x, dict):
        if s is None and not keep:
            x.clear()
        if s is None:
            return
        embedded = root or s.embedded  # the resource root counts as an embedded resource
        for k in list(x):
            v = x[k]
            meta_type = dict if k == "metadata" else str
            if embedded and k in _META and (keep or isinstance(v, meta_type)):
                continue
            if k in s.props or s.has_addl:
                _prune(v, s.props.get(k, s.addl))
            elif not keep:
                del x[k]
    elif isinstance(x, list) and not (keep and s is None):
        for v in x:
            _prune(v, s.items if s is not None else None, keep=keep)


def default(schema: dict[str, Any] | None, obj: dict[str, Any]) -> None:
    """Drop non-nullable nulls that have no default, then apply defaults (in place)."""
    if schema is not None:
        _default(obj, _compiled(schema))


def _default(x: Any, s: _Node | None) -> None:
    # one pass of PruneNonNullableNullsWithoutDefaults + structural defaulting
    if s is None:
        return
    if isinstance(x, dict):
        for k in list(x):
            p = s.props.get(k, s.addl)
            if x[k] is None and p is not None and not p.nullable:
                if not p.has_default:
                    del x[k]
                    continue
                x[k] = _copy(p.default)
            _default(x[k], p)
        for k, p in s.defaults:
            if k not in x:
                x[k] = _copy(p.default)
                _default(x[k], p)
    elif isinstance(x, list) and (it := s.items) is not None:
        for i, v in enumerate(x):
            if v is None and not it.nullable:
                x[i] = v = _copy(it.default)
            _default(v, it)


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return [_copy(x) for x in v] if isinstance(v, list) else v


# A kube-openapi error: (code, name, value, message, limit-or-enum-values).
_Err = tuple[str, str, Any, str, Any]


def validate(schema: dict[str, Any] | None, obj: dict[str, Any]) -> list[Cause]:
    """The causes the server reports for `obj`; the root metadata is validated elsewhere."""
    if schema is None:
        return []
    s = _compiled(schema)
    errs: list[_Err] = []
    _check(s, obj, "", errs, root=True)
    causes = [_cause(*e) for e in errs]
    _list_types(s, obj, "", causes)
    return causes


def prepare(schema: dict[str, Any] | None, obj: dict[str, Any]) -> list[Cause]:
    """Prune, default, validate: what the server does to a custom resource it is sent."""
    prune(schema, obj)
    default(schema, obj)
    return validate(schema, obj)


_JSON_TYPES = {
    bool: ("boolean", ""),
    int: ("integer", "int64"),
    float: ("number", "float64"),
    str: ("string", ""),
    list: ("array", ""),
    dict: ("object", ""),
}


def _check(s: _Node, v: Any, path: str, out: list[_Err], root: bool = False) -> None:
    """kube-openapi's SchemaValidator: its validators in their order, all of them run."""
    if v is None:
        _check_type(s, v, path, out)
        if s.enum:
            _check_enum(s, v, path, out)
        return
    t = type(v)  # exact types: bool is no int here, and JSON decoding makes no subclasses
    if s.types or s.fmt:
        _check_type(s, v, path, out)
    if s.composed:
        _check_composed(s, v, path, out)
    if t is str:
        if s.str_rules:
            _check_string(s, v, path, out)
    elif t is int or t is float:
        if s.bounds:
            _check_number(s, v, path, out)
    elif t is list:
        _check_array(s, v, path, out)
    if s.enum:
        _check_enum(s, v, path, out)
    if t is dict:
        _check_object(s, v, path, out, root)


def _type_err(path: str, type_name: str, value: str) -> _Err:
    return ("type", path, value, f"{path} in body must be of type {type_name}: {_goq(value)}", 0)


def _check_type(s: _Node, v: Any, path: str, out: list[_Err]) -> None:
    types = s.types
    if v is None:
        if types and "null" not in types and not s.nullable:
            out.append(_type_err(path, ",".join(types), "null"))
        return
    sch, fmt = _JSON_TYPES.get(type(v), ("", ""))
    numeric = "number" in types or "integer" in types
    float_int = sch == "number" and "integer" in types and v.is_integer()
    int_float = sch == "integer" and "number" in types
    if (
        sch not in ("string", "array")
        and s.fmt
        and not (sch in types or fmt == s.fmt or float_int or int_float)
    ):
        out.append(_type_err(path, s.fmt, fmt))
    elif not (
        (s.fmt and not numeric and sch in ("string", "array"))
        or sch in types
        or float_int
        or int_float
    ):
        out.append(_type_err(path, ",".join(types), sch))


def _check_composed(s: _Node, v: Any, path: str, out: list[_Err]) -> None:
    if s.any_of and not any(not _errs(sub, v, path) for sub in s.any_of):
        out.append(_composite(path, "must validate at least one schema (anyOf)"))
        out.extend(_errs(s.any_of[0], v, path))  # kube-openapi adds the "best" failure's errors
    if s.one_of:
        results = [_errs(sub, v, path) for sub in s.one_of]
        passed = sum(not errs for errs in results)
        if passed != 1:
            extra = f"Found {passed} valid alternatives" if passed else "Found none valid"
            out.append(_composite(path, f"must validate one and only one schema (oneOf). {extra}"))
            out.extend(results[0] if not passed else ())
    if s.all_of:
        results = [_errs(sub, v, path) for sub in s.all_of]
        failed = sum(bool(errs) for errs in results)
        out.extend(e for errs in results for e in errs)
        if failed:
            extra = ". None validated" if failed == len(results) else ""
            out.append(_composite(path, f"must validate all the schemas (allOf){extra}"))
    if s.not_ is not None and not _errs(s.not_, v, path):
        out.append(_composite(path, "must not validate the schema (not)"))


def _errs(s: _Node, v: Any, path: str) -> list[_Err]:
    errs: list[_Err] = []
    _check(s, v, path, errs)
    return errs


def _composite(path: str, msg: str) -> _Err:
    return ("composite", "", None, f"{_goq(path)} {msg}", 0)


def _check_string(s: _Node, v: str, path: str, out: list[_Err]) -> None:
    if s.max_len is not None and len(v) > s.max_len:  # runes, as utf8.RuneCountInString
        out.append(("toolong", path, v, "", s.max_len))
    elif s.min_len is not None and len(v) < s.min_len:
        msg = f"{path} in body should be at least {s.min_len} chars long"
        out.append(("invalid", path, v, msg, 0))
    elif s.pattern is not None and not s.pattern.search(v):
        out.append(("invalid", path, v, f"{path} in body should match '{s.pattern_src}'", 0))
    if s.fmt and (check := _FORMATS.get(s.fmt)) is not None and not check(v):
        out.append(_type_err(path, s.fmt, v))


def _check_number(s: _Node, v: float, path: str, out: list[_Err]) -> None:
    for bound, excl, word in s.bounds:
        b = int(bound) if isinstance(v, int) else float(bound)  # as MaximumNativeType does
        if (v < b if word == "greater" else v > b) or (excl and v == b):
            how = f"{word} than" if excl else f"{word} than or equal to"
            out.append(("invalid", path, v, f"{path} in body should be {how} {_gonum(b)}", 0))


def _check_array(s: _Node, v: list[Any], path: str, out: list[_Err]) -> None:
    if s.items is not None:
        for i, x in enumerate(v):
            _check(s.items, x, f"{path}[{i}]", out)
    if s.min_items is not None and len(v) < s.min_items:
        msg = f"{path} in body should have at least {s.min_items} items"
        out.append(("invalid", path, len(v), msg, 0))
    if s.max_items is not None and len(v) > s.max_items:
        out.append(("toomany", path, len(v), "", s.max_items))
    if s.unique and len({_gojson(x) for x in v}) != len(v):
        out.append(("invalid", path, None, f"{path} in body shouldn't contain duplicates", 0))


def _check_enum(s: _Node, v: Any, path: str, out: list[_Err]) -> None:
    for e in s.enum or ():  # numbers compare across int/float, nothing else converts
        if v == e and (type(v) is type(e) or {type(v), type(e)} == {int, float}):
            return
    out.append(("enum", path, v, "", s.enum))


def _check_object(s: _Node, v: dict[str, Any], path: str, out: list[_Err], root: bool) -> None:
    if s.min_props is not None and len(v) < s.min_props:
        msg = f"{path} in body should have at least {s.min_props} properties"
        out.append(("invalid", path, len(v), msg, 0))
        return
    if s.max_props is not None and len(v) > s.max_props:
        out.append(("toomany", path, len(v), "", s.max_props))
        return
    for k, x in v.items():
        if k in s.props and not (root and k == "metadata"):  # ObjectMeta is checked apart
            _check(s.props[k], x, f"{path}.{k}" if path else k, out)
        elif s.addl is not None and k not in s.props:
            _check(s.addl, x, f"{path}.{k}", out)
    for k in s.required:
        if k not in v:
            out.append(("required", f"{path}.{k}", None, "", 0))


def _cause(code: str, name: str, value: Any, msg: str, extra: Any) -> Cause:
    """kubeOpenAPIResultToFieldErrors + field.Error.ErrorBody."""
    if code == "composite":  # not a field error: the server reports it at a nil path
        return Cause("FieldValueInvalid", f'Invalid value: "": {msg}', "<nil>")
    field = "<nil>" if name in ("", ".") else name.removeprefix(".")
    if code == "required":
        return Cause("FieldValueRequired", "Required value", field)
    if code == "enum":
        allowed = ", ".join(_goq(x if isinstance(x, str) else _gojson(x)) for x in extra)
        msg = f"Unsupported value: {_govalue(value)}: supported values: {allowed}"
        return Cause("FieldValueNotSupported", msg, field)
    if code == "toolong":
        return Cause("FieldValueTooLong", f"Too long: may not be longer than {extra}", field)
    if code == "toomany":
        noun = "item" if extra == 1 else "items"
        msg = f"Too many: {value}: must have at most {extra} {noun}"
        return Cause("FieldValueTooMany", msg, field)
    reason = "FieldValueTypeInvalid" if code == "type" else "FieldValueInvalid"
    return Cause(reason, f"Invalid value: {_govalue('' if value is None else value)}: {msg}", field)


def _list_types(s: _Node | None, x: Any, path: str, out: list[Cause]) -> None:
    """structurallisttype.ValidateListSetsAndMaps: duplicates in list-type set/map arrays."""
    if s is None or not s.has_lists:
        return
    if isinstance(x, dict):
        for k, v in x.items():
            _list_types(s.props.get(k, s.addl), v, f"{path}.{k}" if path else k, out)
        return
    if not isinstance(x, list):
        return
    bad = next((i for i, v in enumerate(x) if v is not None and not isinstance(v, dict)), None)
    if s.list_type == "map" and bad is not None:
        msg = f"Invalid value: {_govalue(x[bad])}: must be an object for an array of list-type map"
        out.append(Cause("FieldValueInvalid", msg, f"{path}[{bad}]"))
    elif s.list_type in ("set", "map"):
        keys = s.map_keys or ()  # a map item is known by its keys, a set item by itself
        seen: dict[str, int] = {}
        for i, v in enumerate(x):
            shown = (
                _govalue(v)
                if s.list_type == "set"
                else _gojson({k: v[k] for k in keys if k in (v or {})})
            )
            seen[shown] = seen.get(shown, 0) + 1
            if seen[shown] == 2:  # each duplicated value is reported once, at its 2nd index
                msg = f"Duplicate value: {shown}"
                out.append(Cause("FieldValueDuplicate", msg, f"{path}[{i}]"))
    for i, v in enumerate(x):
        _list_types(s.items, v, f"{path}[{i}]", out)


def _goq(s: str) -> str:
    """Go's %q, near enough: JSON string quoting without ASCII escaping."""
    return json.dumps(s, ensure_ascii=False)


def _gonum(v: float) -> str:
    """Go's %v: shortest digits, for floats exponent form below 1e-4 or from 1e6 up."""
    if not isinstance(v, float) or v == 0:
        return str(int(v))
    if v != v or v in (float("inf"), -float("inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(v)]
    sign, digits, exp = Decimal(repr(v)).as_tuple()
    ds, x, s = "".join(map(str, digits)).rstrip("0"), int(exp) + len(digits) - 1, "-" * sign
    if x < -4 or x >= 6:
        return f"{s}{ds[0]}{'.' if ds[1:] else ''}{ds[1:]}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if x < 0:
        return f"{s}0.{'0' * (-x - 1)}{ds}"
    return f"{s}{ds[: x + 1].ljust(x + 1, '0')}{'.' if ds[x + 1 :] else ''}{ds[x + 1 :]}"


def _gojson(v: Any) -> str:
    """Go's json.Marshal: sorted keys, compact, integral floats without ".0", HTML escaped."""

    def norm(x: Any) -> Any:
        if isinstance(x, float) and x.is_integer() and abs(x) < 1e21:
            return int(x)
        if isinstance(x, dict):
            return {k: norm(y) for k, y in x.items()}
        return [norm(y) for y in x] if isinstance(x, list) else x

    text = json.dumps(norm(v), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _govalue(v: Any) -> str:
    """A bad value the way field.Error.ErrorBody prints it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _gonum(v)
    return _goq(v) if isinstance(v, str) else _gojson(v)


_RX_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))")


def _is_date(s: str) -> bool:  # time.Parse("2006-01-02")
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", s)) and bool(dt.date.fromisoformat(s))
    except ValueError:
        return False


def _is_datetime(s: str) -> bool:  # strfmt.IsDateTime
    parts = s.lower().split("t")
    m = _RX_TIME.fullmatch(parts[1]) if len(parts) > 1 and _is_date(parts[0]) else None
    return m is not None and m[1] <= "23" and m[2] <= "59" and m[3] <= "59"


def _is_base64(s: str) -> bool:  # base64.StdEncoding skips newlines, wants correct padding
    try:
        base64.b64decode(s.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


_FORMATS = {
    "date": _is_date,
    "date-time": _is_datetime,
    "datetime": _is_datetime,
    "byte": _is_base64,
}
