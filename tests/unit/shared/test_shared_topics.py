from __future__ import annotations

import re

from satupintu_shared.topics import Topics


def test_public_topic_names_are_the_ones_in_the_brief() -> None:
    topics = Topics()
    assert topics.inbox("bdg-disdukcapil") == "satupintu.agency.bdg-disdukcapil.inbox"
    assert topics.status("bdg-disdukcapil") == "satupintu.agency.bdg-disdukcapil.status"
    assert topics.submissions == "satupintu.intake.submissions"


def test_the_status_pattern_matches_only_status_topics() -> None:
    topics = Topics(prefix="t1.")
    pattern = re.compile(topics.status_pattern)
    assert pattern.fullmatch("t1.satupintu.agency.bdg-dinkes.status")
    assert not pattern.fullmatch("t1.satupintu.agency.bdg-dinkes.inbox")
    assert not pattern.fullmatch("t2.satupintu.agency.bdg-dinkes.status")


def test_the_acting_agency_comes_from_the_topic_name() -> None:
    topics = Topics(prefix="t1.")
    assert topics.agency_of_status_topic("t1.satupintu.agency.bdg-dinkes.status") == "bdg-dinkes"
    assert topics.agency_of_status_topic("t1.satupintu.agency.a.b.status") is None
    assert topics.agency_of_status_topic("satupintu.agency.bdg-dinkes.status") is None
