"""Typed options per dialect: a region's ``options`` table, validated at start-up.

A dialect declares the options it reads as a subclass of :class:`ConnectorOptions` (a frozen
pydantic model) and names it ``Options`` on its connector class::

    class NorthOptions(ConnectorOptions):
        page_size: PositiveInt = 50
        password: SecretOption          # written { env = "NAME" } or { file = "PATH" }

    class NorthConnector(Connector):
        Options = NorthOptions
        options: NorthOptions           # the validated table, as ``self.options``

Validation is strict (TOML types as they are: ``"10"`` is not a whole number), an unknown key is
refused, and every problem names ``regions.NAME.options.KEY``, never the value. A secret option
must be a reference, never written in place; it is read once, at start-up, and shows as
``'**********'`` in any ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    PositiveInt,
    SecretStr,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails

from connectors.config import ConfigProblems, resolve_secret
from connectors.errors import ConfigurationError

OptionsT = TypeVar("OptionsT", bound="ConnectorOptions")


def _secret(value: object, info: ValidationInfo) -> SecretStr:
    context = info.context if isinstance(info.context, Mapping) else {}
    where = f"{context.get('where', 'options')}.{info.field_name}"
    if isinstance(value, str | SecretStr):
        raise ConfigurationError(
            f'{where} must be a reference, {{ env = "NAME" }} or {{ file = "PATH" }}, '
            "never the secret itself"
        )
    return SecretStr(resolve_secret(value, where))


SecretOption = Annotated[SecretStr, PlainValidator(_secret)]
"""An option holding a secret, given by reference; ``.get_secret_value()`` reads it."""


class ConnectorOptions(BaseModel):
    """What every dialect accepts; a dialect's ``Options`` adds what it reads itself."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, hide_input_in_errors=True)

    max_batch: PositiveInt | None = None
    """Most keys one connector call receives; overrides the dialect's ``max_batch``. The gateway
    splits larger calls (``gateway/pipeline/split.py``)."""


_PHRASES = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "missing": "is required",
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "list_type": "must be a list",
}


def _problem(where: str, error: ErrorDetails, known: list[str]) -> str:
    """One validation error as ``where.KEY must ...``: the value itself is never quoted."""
    key = ".".join(str(part) for part in error["loc"])
    context: dict[str, Any] = dict(error.get("ctx") or {})
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}.{key} is not an option of this dialect; known: {', '.join(known)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {"greater_than": "more than", "greater_than_equal": "at least"}.get(
            kind, "less than" if kind == "less_than" else "at most"
        )
        limit = next(iter(context.values()), "")
        return f"{where}.{key} must be {bound} {limit}"
    if kind == "literal_error":
        return f"{where}.{key} must be {context.get('expected', 'one of the allowed values')}"
    phrase = _PHRASES.get(kind)
    if phrase is None:
        phrase = f"is not valid ({error['msg']})"
    return f"{where}.{key} {phrase}"


def parse_options(model: type[OptionsT], region: str, options: Mapping[str, Any]) -> OptionsT:
    """``options`` of region ``region`` as ``model``, or :class:`ConfigProblems` naming each bad
    key (a missing secret raises the :class:`ConfigurationError` naming it)."""
    where = f"regions.{region}.options"
    try:
        return model.model_validate(dict(options), context={"where": where})
    except ValidationError as exc:
        known = sorted(model.model_fields)
        problems = [_problem(where, e, known) for e in exc.errors(include_url=False)]
        raise ConfigProblems(problems) from None
