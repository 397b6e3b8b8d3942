"""Name search end to end: typing errors found through the person index, exact hits above alias
hits, every edge saying why it matched, and bad input refused with a code."""

from __future__ import annotations

from connectors.records import PersonName
from gateway.identity.name_match import KIND_ORDER, MatchKind
from gateway.identity.names import fold
from simulators.truth import Estate, TruePerson
from tests.conftest import GraphQLCall
from tests.gateway.test_end_to_end import spanning_people

LOOKUP = "query($id: String!) { offender(identifier: $id) { id } }"
SEARCH = """
query($name: String!, $first: Int!, $after: String, $region: String) {
  offenders(name: $name, first: $first, after: $after, region: $region) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      match { kind score reasons matchedName { forename surname } }
      node { id name { forename surname } dateOfBirth records { region localId } }
    }
  }
}
"""


def swapped(surname: str) -> str:
    """The surname with its two middle letters swapped: one typing error."""
    i = len(surname) // 2
    return surname[: i - 1] + surname[i] + surname[i - 1] + surname[i + 1 :]


def surnames(estate: Estate) -> set[str]:
    return {fold(name.surname) for r in estate.person_records() for name in (r.name, *r.aliases)}


def typo_target(estate: Estate) -> tuple[TruePerson, str]:
    """A clean person whose surname, mistyped, is nobody's surname."""
    known = surnames(estate)
    for person in spanning_people(estate, 200):
        typo = swapped(person.surname)
        if len(person.surname) >= 5 and typo != person.surname and fold(typo) not in known:
            return person, typo
    raise AssertionError("no person to mistype")


def test_a_surname_with_one_typing_error_finds_the_person_on_the_first_page(
    estate: Estate, gql: GraphQLCall
) -> None:
    person, typo = typo_target(estate)
    status, body = gql(LOOKUP, id=person.noms)  # the index now knows them
    assert status == 200 and body["data"]["offender"]
    status, body = gql(SEARCH, name=f"{person.forename} {typo}", first=20)
    assert status == 200 and "errors" not in body, body
    edges = body["data"]["offenders"]["edges"]
    mine = [
        e
        for e in edges
        if {(r["region"], r["localId"]) for r in e["node"]["records"]} == set(person.slices.items())
    ]
    assert len(mine) == 1, edges
    edge = mine[0]
    assert edge["node"]["name"] == {"forename": person.forename, "surname": person.surname}
    assert edge["node"]["dateOfBirth"] == person.date_of_birth.isoformat()
    assert edge["match"]["kind"] in ("FUZZY", "PHONETIC")
    assert edge["match"]["matchedName"] == {"forename": person.forename, "surname": person.surname}
    assert any(typo in r and person.surname in r for r in edge["match"]["reasons"])
    assert 0 < edge["match"]["score"] < 1


def test_exact_hits_rank_above_alias_hits_and_every_holder_is_found(
    estate: Estate, gql: GraphQLCall
) -> None:
    surname = "Kelly"
    records = estate.person_records()
    holders = {
        (r.region, r.local_id)
        for r in records
        if any(fold(n.surname) == fold(surname) for n in (r.name, *r.aliases))
    }
    aliased = {
        (r.region, r.local_id)
        for r in records
        if fold(r.name.surname) != fold(surname)
        and any(fold(a.surname) == fold(surname) for a in r.aliases)
    }
    assert aliased  # the estate holds people known as Kelly only by an alias
    edges, after = [], None
    for _ in range(20):
        status, body = gql(SEARCH, name=surname, first=50, after=after)
        assert status == 200 and "errors" not in body, body
        page = body["data"]["offenders"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(edges) == page["totalCount"]
    found = {(r["region"], r["localId"]) for e in edges for r in e["node"]["records"]}
    assert holders <= found
    kinds = [MatchKind(e["match"]["kind"]) for e in edges]
    assert [KIND_ORDER[k] for k in kinds] == sorted(KIND_ORDER[k] for k in kinds)
    assert MatchKind.EXACT in kinds and MatchKind.ALIAS in kinds
    for edge in edges:
        matched = PersonName(**edge["match"]["matchedName"])
        if edge["match"]["kind"] in ("EXACT", "ALIAS"):
            assert fold(matched.surname) == fold(surname)
            assert edge["match"]["reasons"]
    for edge in edges:  # an alias-only holder is an ALIAS hit, not an EXACT one
        keys = {(r["region"], r["localId"]) for r in edge["node"]["records"]}
        if keys and keys <= aliased:
            assert edge["match"]["kind"] == "ALIAS", edge


def test_walking_every_page_returns_each_person_once(gql: GraphQLCall) -> None:
    seen: list[str] = []
    after = None
    for _ in range(50):
        status, body = gql(SEARCH, name="Smith", first=9, after=after)
        assert status == 200 and "errors" not in body
        page = body["data"]["offenders"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert all(e["match"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == page["totalCount"] == len(set(seen))


def test_bad_names_and_regions_are_refused_with_a_code(gql: GraphQLCall) -> None:
    for variables, fragment in (
        ({"name": "", "first": 5}, "name is required"),
        ({"name": "' -", "first": 5}, "name must be one to three words of letters"),
        ({"name": "Smith", "first": 5, "after": "garbage!"}, "not a cursor"),
        ({"name": "Smith", "first": 5, "region": "N03"}, 'probationRegion: "N03"'),
        ({"name": "Smith", "first": 5, "region": "atlantis"}, "unknown region 'atlantis'"),
    ):
        status, body = gql(SEARCH, **variables)
        assert status == 200
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert fragment in error["message"], (variables, error["message"])
