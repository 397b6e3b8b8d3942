"""The person index: records of people under stable ids, so a known person costs one round.

- :mod:`~gateway.identity.index.model`: what it holds (records, people, sightings);
- :mod:`~gateway.identity.index.linking`: merges and undone links, decided once for every store;
- :mod:`~gateway.identity.index.store`: the interface; ``sqlite_store`` (default) and
  ``postgres_store`` implement it on the tables of ``queries``;
- :mod:`~gateway.identity.index.build`: the store the settings ask for.
"""

from gateway.identity.index.model import IndexedPerson, IndexedRecord, IndexStats, Sighting
from gateway.identity.index.store import PersonIndex

__all__ = ["IndexStats", "IndexedPerson", "IndexedRecord", "PersonIndex", "Sighting"]
