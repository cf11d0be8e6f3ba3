"""Which agencies a change of grants concerns, as `catalog apply` reports it."""

from __future__ import annotations

from routing.adapters.agency_access import AccessChanges, agency_of
from satupintu_shared.acl import agency_acls, platform_acls
from satupintu_shared.topics import Topics

TOPICS = Topics("t0123456789.")


def test_every_grant_of_an_agency_is_attributed_to_it_and_no_platform_grant_is() -> None:
    assert {agency_of(TOPICS, acl) for acl in agency_acls(TOPICS, "bdg-dlh")} == {"bdg-dlh"}
    assert {agency_of(TOPICS, acl) for acl in platform_acls(TOPICS)} == {None}


def test_another_environments_agency_is_not_this_ones() -> None:
    assert {agency_of(Topics(), acl) for acl in agency_acls(TOPICS, "bdg-dlh")} == {None}


def test_the_summary_counts_grants_and_names_agencies_gaining_and_losing_access() -> None:
    gained, lost = agency_acls(TOPICS, "bdg-dlh"), agency_acls(TOPICS, "bdg-old")
    changes = AccessChanges(TOPICS, frozenset(gained), frozenset(lost))
    assert (
        changes.summary()
        == f"access: {len(gained)} grants created, {len(lost)} removed (+ bdg-dlh; - bdg-old)"
    )
    assert changes.summary(planned=True).startswith(f"access: {len(gained)} grants to create, ")
    assert AccessChanges(TOPICS, frozenset(), frozenset()).summary() == "access: 0 grants created, 0 removed"
