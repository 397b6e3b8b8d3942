"""Identity across regions, independent of GraphQL: which records are one person.

- :mod:`gateway.identity.grouping`: strong links (shared NOMS, CRN, PNC, CRO) and conflicts;
- :mod:`gateway.identity.weak_links`: possible matches without a shared strong identifier,
  scored with reasons, never merged (``possible_matches``, ``all_possible_matches``);
- :mod:`gateway.identity.name_match`: name search ranked exact, alias, phonetic, fuzzy, each hit
  saying what it matched on (``rank``, ``NameIndex``);
- :mod:`gateway.identity.names`, :mod:`~gateway.identity.dates`: names and dates of birth as
  comparable values (folding, phonetic codes, typing errors, search keys);
- :mod:`gateway.identity.blocking`: candidates through shared keys, not all pairs;
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
