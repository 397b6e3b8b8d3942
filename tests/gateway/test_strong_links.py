"""Strong links over the whole default harder estate meet their targets (benchmarks/strong_links.py
prints the figures): every record as its connector maps it, grouped by the gateway's rule, scored
against the ground truth over the records that carry a strong identifier."""

from __future__ import annotations

from gateway.identity import group_records, record_key
from simulators.linkage import LinkQuality, link_quality
from simulators.truth import Estate


def quality_of(estate: Estate) -> LinkQuality:
    records = [r for r in estate.person_records() if r.identifiers]
    groups = [[record_key(r) for r in group] for group in group_records(records)]
    return link_quality(estate.owners(), groups)


def test_strong_links_are_precise_and_complete_on_the_harder_estate(estate: Estate) -> None:
    quality = quality_of(estate)
    assert quality.records > 10_000 - 500  # all but the records without any strong identifier
    assert quality.precision >= 0.999, quality
    assert quality.recall >= 0.98, quality
    assert quality.pair_precision >= 0.999, quality
    assert quality.pair_recall >= 0.98, quality


def test_the_estate_holds_the_dirt_that_tests_the_links(estate: Estate) -> None:
    """The figures above are earned: stale and wrongly copied identifiers (conflicts the rule
    must not merge) and records without any identifier are there."""
    dirt = [label for p in estate.people.values() for labels in p.dirt.values() for label in labels]
    for label in ("stale noms", "stale crn", "namesake noms", "bad pnc check", "no identifier"):
        assert label in dirt, label


def test_namesakes_given_one_nomis_number_are_not_merged(estate: Estate) -> None:
    """A NOMS number written back to a namesake's case (linked by name and date of birth) joins
    nobody to the wrong person: the case's own PNC or CRN contradicts the other's."""
    owners = estate.owners()
    wrongly_linked = {
        (system, p.slices[system])
        for p in estate.people.values()
        for system, labels in p.dirt.items()
        if "namesake noms" in labels
    }
    assert wrongly_linked
    records = [r for r in estate.person_records() if r.identifiers]
    for group in group_records(records):
        keys = [record_key(r) for r in group]
        if wrongly_linked & set(keys):
            assert len({owners[k] for k in keys}) == 1, keys
