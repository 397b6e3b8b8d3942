"""GraphiQL served entirely by the gateway: page and assets, no public CDN needed."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

ASSETS_URL = "/graphiql"
STATIC_DIR = Path(__file__).parent / "static"

EXAMPLE_QUERY = """# Offender Graph: one person, merged from every
# regional system. Press play, or try another NOMS
# number, CRN or PNC (make demo prints real ones).
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


@cache
def _template() -> str:
    return (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")


def graphiql_page(example_identifier: str) -> str:
    """The GraphiQL page with the example query and its variables pre-filled."""
    page = _template().replace("{{ASSETS}}", ASSETS_URL)
    page = page.replace("{{EXAMPLE_QUERY}}", json.dumps(EXAMPLE_QUERY))
    variables = json.dumps(json.dumps({"identifier": example_identifier}, indent=2))
    return page.replace("parameters.variables,", f"parameters.variables || {variables},", 1)
