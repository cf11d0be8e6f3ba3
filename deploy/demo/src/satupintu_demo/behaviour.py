"""How the simulated agencies behave and how satisfied their citizens are: pure, seeded decisions.

Every agency has a *profile*: how fast it accepts and works, how often it returns a request as not its
authority, rejects one, or lets one lie (never acts, so the request breaches its deadline and routing
escalates it), and the quality citizens perceive (its IKM grade A-D). ``plan_assignment`` turns a
profile and an RNG into what happens to one assignment; ``survey_answers`` into one citizen's survey.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["complete", "reject", "return", "ignore", "stall"]
Grade = Literal["A", "B", "C", "D"]

#: The nine elements of PermenPANRB 14/2017, as intake's survey endpoint names them.
SURVEY_ELEMENTS: tuple[str, ...] = (
    "requirements",
    "procedure",
    "completion_time",
    "cost",
    "product_specification",
    "officer_competence",
    "officer_behaviour",
    "facilities",
    "complaint_handling",
)

#: Probability of the answers 1, 2, 3, 4 for an agency of each grade. Expected IKM (mean x 25):
#: A ~ 91, B ~ 79, C ~ 69, D ~ 56, each well inside its grade's band (88.31 / 76.61 / 65.00).
SCORE_WEIGHTS: Mapping[Grade, tuple[float, float, float, float]] = {
    "A": (0.00, 0.03, 0.30, 0.67),
    "B": (0.01, 0.10, 0.60, 0.29),
    "C": (0.05, 0.30, 0.50, 0.15),
    "D": (0.20, 0.45, 0.25, 0.10),
}


@dataclass(frozen=True)
class Profile:
    """How one agency works (delays in seconds, before the demo's time scale)."""

    name: str
    grade: Grade
    accept_delay: tuple[float, float]
    work_time: tuple[float, float]
    p_return: float
    p_reject: float
    p_ignore: float  # never acknowledged: stays "routed" until routing escalates it
    p_stall: float  # accepted and started, never finished: escalated too


PROFILES: Mapping[str, Profile] = {
    p.name: p
    for p in (
        Profile("teladan", "A", (2, 8), (10, 45), p_return=0.04, p_reject=0.03, p_ignore=0.0, p_stall=0.0),
        Profile("baik", "B", (4, 20), (20, 90), p_return=0.05, p_reject=0.05, p_ignore=0.01, p_stall=0.01),
        Profile("cukup", "C", (10, 45), (45, 180), p_return=0.05, p_reject=0.06, p_ignore=0.03, p_stall=0.03),
        Profile(
            "lamban", "D", (20, 90), (90, 300), p_return=0.07, p_reject=0.07, p_ignore=0.08, p_stall=0.06
        ),
        # Heads of government and directorates: they get escalations and returns, and act on them.
        Profile("pimpinan", "B", (5, 30), (30, 120), p_return=0.0, p_reject=0.05, p_ignore=0.0, p_stall=0.0),
    )
}

#: The demo catalog's agencies (deploy/catalog/demo.yaml). Others get a profile from their code's hash.
AGENCY_PROFILES: Mapping[str, str] = {
    # Kota Bandung: a model civil registry and health service, a struggling road agency.
    "bdg-pemkot": "pimpinan",
    "bdg-disdukcapil": "teladan",
    "bdg-dpmptsp": "baik",
    "bdg-dinkes": "baik",
    "bdg-puskesmas-sukasari": "teladan",
    "bdg-puskesmas-coblong": "cukup",
    "bdg-dinsos": "cukup",
    "bdg-dsdabm": "lamban",
    "bdg-dishub": "cukup",
    # Kabupaten Musi Rawas.
    "mura-pemkab": "pimpinan",
    "mura-disdukcapil": "baik",
    "mura-dpmptsp": "cukup",
    "mura-dinkes": "cukup",
    "mura-puskesmas-tugumulyo": "baik",
    "mura-puskesmas-muara-beliti": "lamban",
    "mura-dinsos": "lamban",
    "mura-dpupr": "lamban",
    "mura-dishub": "cukup",
    # Provinces.
    "jabar-pemprov": "pimpinan",
    "jabar-dbmpr": "baik",
    "jabar-disdik": "teladan",
    "jabar-bapenda": "baik",
    "jabar-dinkes": "pimpinan",
    "sumsel-pemprov": "pimpinan",
    "sumsel-pubmtr": "lamban",
    "sumsel-disdik": "baik",
    "sumsel-bapenda": "cukup",
    "sumsel-dinkes": "pimpinan",
    # National.
    "kemendagri": "pimpinan",
    "kemendagri-dukcapil": "baik",
    "kemenpu": "pimpinan",
    "kemenpu-binamarga": "pimpinan",
    "bbpjn-jabar": "baik",
    "bpjn-sumsel": "cukup",
    "bpjs-kesehatan": "teladan",
    "bpjs-kc-bandung": "teladan",
    "bpjs-kc-lubuklinggau": "baik",
}

_HASHED = ("teladan", "baik", "baik", "cukup", "lamban")


def profile_of(agency_code: str) -> Profile:
    """The agency's profile: from the demo table, else stable per code (a hash, not ``hash()``)."""
    name = AGENCY_PROFILES.get(agency_code)
    if name is None:
        digest = hashlib.sha256(agency_code.encode()).digest()
        name = _HASHED[digest[0] % len(_HASHED)]
    return PROFILES[name]


@dataclass(frozen=True)
class Plan:
    """What a simulated agency does with one assignment (delays in seconds, already scaled)."""

    outcome: Outcome
    accept_after: float  # the first action (accept, or a return/reject straight from the inbox)
    start_after: float  # after acceptance: report in_progress
    finish_after: float  # after in_progress: complete or reject
    acknowledge: bool  # reject/return after accepting (True) or straight away (False)
    officer_id: str
    reason: str | None = None


RETURN_REASONS = (
    "Bukan kewenangan kami: lokasi berada di luar wilayah kerja instansi ini.",
    "Bukan kewenangan kami: urusan ini ditangani instansi lain sesuai UU 23/2014.",
    "Bukan kewenangan kami: permohonan sudah dilimpahkan ke unit yang menangani.",
)
REJECT_REASONS = (
    "Berkas persyaratan tidak lengkap; silakan ajukan kembali dengan dokumen yang diminta.",
    "Dokumen pendukung tidak terbaca; unggah ulang dengan hasil pindaian yang jelas.",
    "Data pemohon tidak sesuai dengan basis data kependudukan.",
    "Permohonan ganda: permohonan yang sama sedang diproses.",
    "Pemohon tidak memenuhi persyaratan layanan.",
)


def plan_assignment(
    profile: Profile,
    rng: random.Random,
    *,
    rule: str,
    officers: tuple[str, ...],
    time_scale: float = 1.0,
) -> Plan:
    """Decide the fate of one assignment.

    ``rule`` is the routing reason's rule: only a first assignment (``jurisdiction``) may be returned
    or left lying; a request that was already returned or escalated is dealt with (completed, or
    rejected now and then), so the demo never bounces a request until it becomes unroutable.
    """
    first = rule == "jurisdiction"
    draw = rng.random()
    outcome: Outcome = "complete"
    thresholds: tuple[tuple[Outcome, float], ...] = (
        ("return", profile.p_return if first else 0.0),
        ("reject", profile.p_reject),
        ("ignore", profile.p_ignore if first else 0.0),
        ("stall", profile.p_stall if first else 0.0),
    )
    for candidate, p in thresholds:
        if draw < p:
            outcome = candidate
            break
        draw -= p
    reason = None
    if outcome == "return":
        reason = rng.choice(RETURN_REASONS)
    elif outcome == "reject":
        reason = rng.choice(REJECT_REASONS)
    work_low, work_high = profile.work_time
    return Plan(
        outcome=outcome,
        accept_after=rng.uniform(*profile.accept_delay) * time_scale,
        start_after=rng.uniform(1.0, 0.2 * work_low + 1.0) * time_scale,
        finish_after=rng.triangular(work_low, work_high, work_low + (work_high - work_low) / 3) * time_scale,
        acknowledge=rng.random() < 0.5,
        officer_id=rng.choice(officers),
        reason=reason,
    )


def survey_answers(grade: Grade, rng: random.Random) -> dict[str, int]:
    """One citizen's answers (1-4 for each of the nine elements) for an agency of ``grade``."""
    weights = SCORE_WEIGHTS[grade]
    return {element: rng.choices((1, 2, 3, 4), weights=weights)[0] for element in SURVEY_ELEMENTS}


def expected_ikm(grade: Grade) -> float:
    """The IKM an agency of ``grade`` converges to (mean answer x 25)."""
    weights = SCORE_WEIGHTS[grade]
    return 25 * sum(score * w for score, w in zip((1, 2, 3, 4), weights, strict=True))
