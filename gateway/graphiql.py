"""GraphiQL served entirely by the gateway (page and assets, no public CDN needed), opening with
a tab per example query an analyst starts from, each with the demo's example person filled in.

Every example uses only fields of the schema (``schema/schema.graphql``);
``tests/gateway/test_graphiql.py`` validates each against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ASSETS_URL = "/graphiql"
STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class ExamplePerson:
    """Whom the examples ask about: an identifier, and a name and date of birth to search by."""

    identifier: str = "A1234AA"
    name: str = "Smith"  # a surname, or a forename and a surname
    date_of_birth: str | None = None  # ISO date


@dataclass(frozen=True, slots=True)
class Example:
    """One tab: a named query and whether it searches by name (else it looks up an identifier)."""

    query: str
    search: bool = False
    fixed: tuple[tuple[str, str], ...] = ()  # variables that do not depend on the person

    def variables(self, person: ExamplePerson) -> dict[str, str | None]:
        if self.fixed:
            return dict(self.fixed)
        if self.search:
            return {"name": person.name, "dateOfBirth": person.date_of_birth}
        return {"identifier": person.identifier}


EXAMPLE_QUERY = """# Offender Graph: one person, merged from every
# regional system. Press play, or try another NOMS
# number, CRN or PNC (make demo prints real ones).
# The other tabs hold more examples.
query Offender($identifier: String!) {
  offender(identifier: $identifier) {
    id
    identifiers { nomsNumber crn pncNumber }
    name { forename surname }
    dateOfBirth
    status
    offenderManager {
      staffCode forename surname role team
    }
    custody {
      region prisonName legalStatus
      startDate endDate active
    }
    supervision {
      region kind probationRegion
      startDate endDate active
    }
    timeline { date type description region }
    records { region systemKind localId matchedBy }
    sources { region outcome fetchedAt code reason }
  }
  regions { name kind status breaker }
}
"""

SEARCH_QUERY = """# People by name across every region: a surname, or a
# forename and a surname (aliases match too), with an
# optional date of birth. Add region: "probation-wales"
# for one region; pass after: <endCursor> for the next page.
query Search($name: String!, $dateOfBirth: Date) {
  offenders(name: $name, dateOfBirth: $dateOfBirth, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        identifiers { nomsNumber crn pncNumber croNumber }
        name { forename surname }
        aliases { forename surname }
        dateOfBirth
        status
        records { region localId }
      }
    }
  }
}
"""

TIMELINE_QUERY = """# Every movement and supervision change from every
# system, in date order.
query Timeline($identifier: String!) {
  offender(identifier: $identifier) {
    name { forename surname }
    timeline { date type description region location }
  }
}
"""

ALERTS_QUERY = """# Prison alerts and probation registrations (MAPPA,
# RoSH, ...) from every region.
query Alerts($identifier: String!) {
  offender(identifier: $identifier) {
    name { forename surname }
    alerts {
      region source type code description
      active startDate level category
    }
  }
}
"""

CUSTODY_QUERY = """# Where the person is now: status, the responsible
# officer, bookings with sentence dates, supervision.
query CustodyAndSupervision($identifier: String!) {
  offender(identifier: $identifier) {
    status
    offenderManager {
      region staffCode forename surname role team
      probationDeliveryUnit responsibleOfficer allocatedOn
    }
    custody {
      region prisonName legalStatus inOutStatus active
      startDate endDate securityCategory
      sentence { sentenceStart conditionalRelease licenceExpiry sentenceExpiry }
    }
    supervision {
      region kind probationRegion licenceType tier
      startDate endDate active
    }
  }
}
"""

SOURCES_QUERY = """# Provenance: which local record in which system each
# fact came from, which identifiers linked it, and how
# every region did for this person (OK, STALE, FAILED,
# SKIPPED). A front-end can show "partial" from sources.
query Sources($identifier: String!) {
  offender(identifier: $identifier) {
    identifiers { nomsNumber crn pncNumber croNumber }
    records { region systemKind localId matchedBy fetchedAt }
    sources { region outcome fetchedAt code stage message reason }
  }
  regions { name title kind status breaker lastError }
}
"""

MATCHES_QUERY = """# Possible matches: people who may be this one though
# no strong identifier links them (typing errors, a
# swapped date, transposed names). Scored with the
# reasons, never merged. Conflicts: records sharing an
# identifier with this person but contradicting another.
query PossibleMatches($identifier: String!) {
  offender(identifier: $identifier) {
    name { forename surname }
    dateOfBirth gender
    possibleMatches {
      score reasons
      offender {
        id name { forename surname } dateOfBirth
        identifiers { nomsNumber crn pncNumber }
        records { region localId }
      }
    }
    conflicts { kind values { value records { region localId } } }
  }
}
"""

PROVENANCE_QUERY = """# Which region holds which spelling: each record's own
# name, date of birth, gender and identifiers, and the
# fields where it disagrees with the merged answer;
# where the person is now and their custody terms.
query Provenance($identifier: String!) {
  offender(identifier: $identifier) {
    name { forename surname } dateOfBirth gender
    status recalled unlawfullyAtLarge
    currentLocation { kind region prisonId prisonName probationRegion }
    records {
      region localId fetchedAt
      name { forename surname } dateOfBirth gender
      identifiers { nomsNumber crn pncNumber croNumber }
      disagreements
    }
    disagreements { field values { value merged records { region localId } } }
    custodyTerms { startDate endDate recall ending followedByRecall prisons }
  }
}
"""

PRISON_QUERY = """# The people held in a prison now (or probationRegion:
# "N03", or staffCode: an offender manager's caseload;
# add status: ON_LICENCE to filter). Name order,
# stable cursors.
query Prison($prison: String!) {
  offenders(prison: $prison, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        name { forename surname }
        identifiers { nomsNumber }
        currentLocation { prisonId prisonName }
        status
      }
    }
  }
}
"""

EXAMPLES: tuple[Example, ...] = (
    Example(EXAMPLE_QUERY),
    Example(SEARCH_QUERY, search=True),
    Example(TIMELINE_QUERY),
    Example(ALERTS_QUERY),
    Example(CUSTODY_QUERY),
    Example(SOURCES_QUERY),
    Example(MATCHES_QUERY),
    Example(PROVENANCE_QUERY),
    Example(PRISON_QUERY, fixed=(("prison", "MDI"),)),
)


TOKEN_NOTE = """# This gateway wants a bearer token. In a shell:
#   offender-graph token prison-officer
# (or probation-officer, global-search, operator,
# excluded-officer: README "Security"), then put it
# in the Headers pane below in place of <token>.
"""
TOKEN_HEADERS = json.dumps({"Authorization": "Bearer <token>"}, indent=2)


def example_tabs(person: ExamplePerson, token: bool = False) -> list[dict[str, str]]:
    """GraphiQL's ``defaultTabs``: each example with its variables for ``person``; ``token``:
    each also with an ``Authorization`` header to fill in, the first with how to get one."""
    tabs = [
        {"query": e.query, "variables": json.dumps(e.variables(person), indent=2)} for e in EXAMPLES
    ]
    if token:
        tabs = [{**tab, "headers": TOKEN_HEADERS} for tab in tabs]
        tabs[0]["query"] = TOKEN_NOTE + tabs[0]["query"]
    return tabs


@cache
def _template() -> str:
    return (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")


def graphiql_page(person: ExamplePerson, token: bool = False) -> str:
    """The GraphiQL page with a tab per example, their variables filled in for ``person``;
    ``token`` (authentication on): with the ``Authorization`` header to fill in."""
    tabs = json.dumps(example_tabs(person, token))
    # Inside a <script>, "</" could end it early: escape it (valid JSON and JavaScript).
    tabs = tabs.replace("</", "<\\/")
    return _template().replace("{{ASSETS}}", ASSETS_URL).replace("{{EXAMPLE_TABS}}", tabs)
