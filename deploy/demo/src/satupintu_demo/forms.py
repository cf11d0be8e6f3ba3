"""What simulated citizens ask for: a service, a region where it is offered, and a filled-in form.

Everything is derived from the applied catalog (``CatalogFeed``): services, their attribute schemas
and the agencies' jurisdictions, so every generated submission passes intake's validation, and a
catalog change is picked up without a restart.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from lokal import wilayah

from satupintu_shared.catalog import AttributeSpec, Catalog, GovernmentLevel, Service

from .identity import make_person

#: The two local governments of the demo, with their share of the traffic.
FOCUS_REGENCIES: tuple[tuple[str, float], ...] = (("32.73", 0.6), ("16.05", 0.4))

#: How often each service is asked for (relative; services not listed weigh 1).
SERVICE_WEIGHTS: dict[str, float] = {
    "ktp-el": 6,
    "kartu-keluarga": 5,
    "akta-kelahiran": 4,
    "akta-kematian": 1.5,
    "pindah-datang": 2,
    "izin-usaha": 3,
    "pbg": 1,
    "bansos": 3,
    "jalan-kota-kabupaten": 3,
    "layanan-puskesmas": 3,
    "izin-praktik-nakes": 0.7,
    "lalu-lintas": 2,
    "jalan-provinsi": 1.5,
    "mutasi-siswa-sma": 1,
    "pajak-kendaraan": 1.5,
    "jalan-nasional": 1,
    "data-kependudukan": 1,
    "kepesertaan-jkn": 2.5,
}

#: Share of province/national requests from another regency of the same province.
ELSEWHERE_SHARE = 0.15
#: Share of requests that name a village (kelurahan/desa) rather than a kecamatan.
VILLAGE_SHARE = 0.2
CHANNELS = (("web", 5), ("mobile", 4), ("counter", 2), ("mpp", 2))

STREETS = ("Jl. Melati", "Jl. Kenanga", "Jl. Flamboyan", "Jl. Cempaka", "Jl. Anggrek", "Jl. Mawar")
LANDMARKS = ("masjid", "sekolah dasar", "pasar", "kantor kelurahan", "pertigaan", "jembatan")
DESCRIPTIONS: dict[str, str] = {
    "ktp-el": "Mohon penggantian KTP-el.",
    "kartu-keluarga": "Mohon penerbitan Kartu Keluarga.",
    "akta-kelahiran": "Mohon penerbitan akta kelahiran anak kami.",
    "akta-kematian": "Mohon penerbitan akta kematian anggota keluarga.",
    "pindah-datang": "Mohon surat keterangan pindah.",
    "pbg": "Mohon persetujuan bangunan gedung.",
    "izin-usaha": "Mohon pendampingan NIB dan izin usaha.",
    "bansos": "Mohon diusulkan sebagai penerima bantuan sosial.",
    "jalan-kota-kabupaten": "Jalan rusak dan membahayakan pengendara.",
    "layanan-puskesmas": "Pelayanan di puskesmas lambat, antrean panjang.",
    "izin-praktik-nakes": "Mohon penerbitan surat izin praktik.",
    "lalu-lintas": "Mohon ditindaklanjuti, mengganggu lalu lintas.",
    "jalan-provinsi": "Jalan provinsi berlubang di beberapa titik.",
    "mutasi-siswa-sma": "Mohon rekomendasi mutasi siswa karena orang tua pindah tugas.",
    "pajak-kendaraan": "Tagihan pajak kendaraan tidak sesuai.",
    "jalan-nasional": "Jalan nasional rusak berat, sering terjadi kecelakaan.",
    "data-kependudukan": "NIK saya tidak padan saat mendaftar layanan.",
    "kepesertaan-jkn": "Kepesertaan JKN saya tiba-tiba nonaktif.",
}


@dataclass(frozen=True)
class Submission:
    """A citizen's request, as intake's ``POST /v1/requests`` takes it."""

    service_code: str
    region_code: str
    body: dict[str, Any] = field(hash=False)


def offered_in(catalog: Catalog, service: Service, region_code: str) -> bool:
    """Whether an agency handles ``service`` in a jurisdiction covering ``region_code`` (as intake checks)."""
    for agency in catalog.agencies:
        if service.code not in agency.services:
            continue
        if not agency.jurisdiction and agency.government_level == GovernmentLevel.NATIONAL:
            return True
        if any(region_code == j or region_code.startswith(j + ".") for j in agency.jurisdiction):
            return True
    return False


@cache
def _children(code: str) -> tuple[str, ...]:
    return tuple(w.code for w in wilayah.list_wilayah(code))


class SubmissionFactory:
    """Draws submissions across the catalog's services and the demo's regions."""

    def __init__(self, catalog: Catalog, *, services: frozenset[str] | None = None) -> None:
        self.catalog = catalog
        # Only the demo's own services: a service an integrator is onboarding stays quiet.
        self.services = [s for s in catalog.services if services is None or s.code in services]

    def offered(self, regency: str) -> list[Service]:
        """The services some agency offers in ``regency``."""
        return [s for s in self.services if offered_in(self.catalog, s, regency)]

    def draw(self, rng: random.Random) -> Submission | None:
        """One submission, or None when the catalog offers nothing in the demo's regions."""
        regencies, shares = zip(*FOCUS_REGENCIES, strict=True)
        regency = rng.choices(regencies, weights=shares)[0]
        services = self.offered(regency)
        if not services:
            return None
        service = rng.choices(services, weights=[SERVICE_WEIGHTS.get(s.code, 1.0) for s in services])[0]
        region = self.region_for(service, regency, rng)
        person = make_person(region, rng)
        body: dict[str, Any] = {
            "service_code": service.code,
            "region_code": region,
            "applicant": person.as_json(),
            "attributes": fill_form(service.attributes, region, rng),
            "description": DESCRIPTIONS.get(service.code, f"Permohonan {service.name}.") + " (data simulasi)",
            "channel": rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0],
        }
        return Submission(service.code, region, body)

    def region_for(self, service: Service, regency: str, rng: random.Random) -> str:
        """A kecamatan (sometimes a village) where ``service`` is offered, mostly inside ``regency``."""
        if service.owning_level != GovernmentLevel.REGENCY_CITY and rng.random() < ELSEWHERE_SHARE:
            province = regency.split(".")[0]
            others = [r for r in _children(province) if r != regency and offered_in(self.catalog, service, r)]
            if others:
                regency = rng.choice(others)
        # Units with a narrower jurisdiction (a puskesmas for one kecamatan) get their share of traffic.
        narrow = sorted(
            {
                j
                for a in self.catalog.agencies
                if service.code in a.services
                for j in a.jurisdiction
                if j.startswith(regency + ".")
            }
        )
        districts = [d for d in _children(regency) if offered_in(self.catalog, service, d)]
        if narrow and rng.random() < 0.5:
            district = ".".join(rng.choice(narrow).split(".")[:3])
        elif districts:
            district = rng.choice(districts)
        else:
            return regency
        villages = _children(district) if rng.random() < VILLAGE_SHARE else ()
        return rng.choice(villages) if villages else district


def fill_form(specs: list[AttributeSpec], region: str, rng: random.Random) -> dict[str, Any]:
    """Values for a service's attributes: every required one, most optional ones."""
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.required or rng.random() < 0.6:
            value = _value(spec, region, rng)
            if isinstance(value, str) and spec.max_length is not None:
                value = value[: spec.max_length]
            values[spec.code] = value
    return values


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _value(spec: AttributeSpec, region: str, rng: random.Random) -> Any:
    code, kind = spec.code, spec.datatype
    if kind == "singlevaluelist":
        return rng.choice(spec.values) if spec.values else "lainnya"
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "date":
        back = 60 if "lahir" in code else 30 if "meninggal" in code else 365
        return (date.today() - timedelta(days=rng.randint(1, back))).isoformat()
    if kind == "integer":
        if "lantai" in code:
            return rng.randint(1, 4)
        if "anggota" in code:
            return rng.randint(1, 8)
        return rng.randint(1, 10)
    if kind == "number":
        return round(rng.uniform(36, 450), 1) if "luas" in code else round(rng.uniform(1, 100), 2)
    return _text(code, region, rng)


def _text(code: str, region: str, rng: random.Random) -> str:
    district = ".".join(region.split(".")[:3])
    if code == "lokasi":
        return f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}, dekat {rng.choice(LANDMARKS)}"
    if code == "kode_wilayah_tujuan":
        return rng.choice([c for c in _children(district.rsplit(".", 1)[0]) if c != district] or [district])
    if code == "nomor_kk_lama":
        return district.replace(".", "") + _digits(rng, 10)
    if code == "kbli":
        return rng.choice(("47111", "56102", "10792", "14111", "96011"))
    if code == "nisn":
        return "00" + _digits(rng, 8)
    if code == "nomor_polisi":
        prefix = "D" if region.startswith("32") else "BG"
        return f"{prefix} {rng.randint(1000, 9999)} {rng.choice(('AB', 'XY', 'KQ', 'ZZ'))}"
    if code == "nomor_kartu":
        return "000" + _digits(rng, 10)
    if code == "nomor_str":
        return "STR-DEMO-" + _digits(rng, 6)
    if code == "nomor_surat_kehilangan":
        return f"SKTLK/{rng.randint(1, 999)}/DEMO/{date.today().year}"
    if code == "nama_anak":
        return f"Anak {rng.choice(('Simulasi', 'Contoh', 'Percobaan'))}"
    if code == "tempat_lahir":
        return "Bandung" if region.startswith("32") else "Musi Rawas"
    if code == "sekolah_tujuan":
        return f"SMA Negeri {rng.randint(1, 20)} (contoh)"
    if code == "ruas_jalan":
        return f"Ruas {rng.choice(('Lingkar Selatan', 'Lintas Tengah', 'Pantura'))} km {rng.randint(1, 90)}"
    if code == "foto_url":
        return f"https://example.com/foto/{_digits(rng, 8)}.jpg"
    return f"contoh {code.replace('_', ' ')} {_digits(rng, 4)}"
