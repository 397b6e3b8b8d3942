"""Custom scalars with ``@specifiedBy``, so code generators type them (not ``unknown``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition, ScalarWrapper

DATE = dataclasses.replace(
    DateDefinition,
    description="A calendar date, RFC 3339 full-date: YYYY-MM-DD.",
    specified_by_url="https://scalars.graphql.org/andimarek/local-date.html",
)
DATE_TIME = dataclasses.replace(
    DateTimeDefinition,
    description="An instant, RFC 3339 date-time with offset (the gateway gives UTC).",
    specified_by_url="https://scalars.graphql.org/andimarek/date-time.html",
)
SCALAR_OVERRIDES: dict[object, type | ScalarWrapper | ScalarDefinition] = {
    dt.date: DATE,
    dt.datetime: DATE_TIME,
}
