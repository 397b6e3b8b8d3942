"""Identity across regions, independent of GraphQL: which records are one person.

- :mod:`gateway.identity.grouping`: strong links (shared NOMS, CRN, PNC, CRO) and conflicts;
"""

from gateway.identity.grouping import (
    ID_PREFERENCE,
    MergedPerson,
    RecordKey,
    conflicts_with,
    group_records,
    record_key,
)

__all__ = [
    "ID_PREFERENCE",
    "MergedPerson",
    "RecordKey",
    "conflicts_with",
    "group_records",
    "record_key",
]
