"""Possible matches end to end: a person's record that lost its identifiers is offered (never
merged), with a score and reasons; twins are never merged, and no possible match shares an
identifier kind with the person."""

from __future__ import annotations

from simulators.truth import Estate, TruePerson
from tests.conftest import GraphQLCall
from tests.gateway.truth import identifiers_of

MATCHES = """
query($id: String!) {
  offender(identifier: $id) {
    id
    identifiers { nomsNumber crn pncNumber croNumber }
    records { region localId }
    possibleMatches {
      score reasons
      offender {
        id name { forename surname } dateOfBirth
        identifiers { nomsNumber crn pncNumber croNumber }
        records { region localId }
      }
    }
  }
}
"""
KINDS = {"nomsNumber", "crn", "pncNumber", "croNumber"}


def stripped(estate: Estate, count: int) -> list[tuple[TruePerson, str]]:
    """People whose only dirt is one custody record without identifiers (and the system)."""
    found = []
    for person in estate.people.values():
        dirt = [(s, d) for s, d in person.dirt.items() if d]
        if len(dirt) == 1 and dirt[0][1] == ["no identifier"] and len(person.slices) >= 2:
            system = dirt[0][0]
            others = [
                identifiers_of(r) for s, r in estate.records_of(person.person_id) if s != system
            ]
            if any(others):
                found.append((person, system))
    return found[:count]


def lookup_id(estate: Estate, person: TruePerson, system: str) -> str:
    """An identifier of the person held by one of their other records."""
    for other, record in estate.records_of(person.person_id):
        if other != system:
            ids = sorted(identifiers_of(record), key=str)
            if ids:
                return ids[0].value
    raise AssertionError(person)


def kinds_held(identifiers: dict[str, str | None]) -> set[str]:
    return {k for k, v in identifiers.items() if v}


def test_a_record_without_identifiers_is_offered_as_a_possible_match(
    estate: Estate, gql: GraphQLCall
) -> None:
    people = stripped(estate, 5)
    assert len(people) == 5
    for person, system in people:
        status, body = gql(MATCHES, id=lookup_id(estate, person, system))
        assert status == 200 and "errors" not in body, body
        offender = body["data"]["offender"]
        lone = (system, person.slices[system])
        mine = {(r["region"], r["localId"]) for r in offender["records"]}
        assert lone not in mine  # never merged
        assert mine == set(person.slices.items()) - {lone}
        offered = [
            m
            for m in offender["possibleMatches"]
            if {(r["region"], r["localId"]) for r in m["offender"]["records"]} == {lone}
        ]
        assert len(offered) == 1, offender["possibleMatches"]
        match = offered[0]
        assert 0.85 <= match["score"] <= 1
        assert match["offender"]["name"] == {"forename": person.forename, "surname": person.surname}
        assert match["offender"]["dateOfBirth"] == person.date_of_birth.isoformat()
        assert not kinds_held(match["offender"]["identifiers"])
        assert any(r.startswith("SURNAME EXACT") for r in match["reasons"])
        assert any(r.startswith("DATE_OF_BIRTH EXACT") for r in match["reasons"])
        scores = [m["score"] for m in offender["possibleMatches"]]
        assert scores == sorted(scores, reverse=True)


def test_twins_are_never_merged_nor_offered_across_a_strong_identifier(
    estate: Estate, gql: GraphQLCall
) -> None:
    twins = [
        (p, estate.people[p.twin_of])
        for p in estate.people.values()
        if p.twin_of and p.noms and estate.people[p.twin_of].noms
    ]
    assert len(twins) >= 5
    for one, other in twins[:10]:
        status, body = gql(MATCHES, id=one.noms)
        assert status == 200 and "errors" not in body, body
        offender = body["data"]["offender"]
        mine = {(r["region"], r["localId"]) for r in offender["records"]}
        theirs = set(other.slices.items())
        assert not mine & theirs  # never merged
        held = kinds_held(offender["identifiers"])
        for match in offender["possibleMatches"]:
            keys = {(r["region"], r["localId"]) for r in match["offender"]["records"]}
            assert not keys & mine
            # offered only when no identifier kind is held by both (else they are told apart)
            assert not held & kinds_held(match["offender"]["identifiers"]), match
            assert match["score"] >= 0.85
