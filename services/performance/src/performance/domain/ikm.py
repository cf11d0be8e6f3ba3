"""The citizen satisfaction index (IKM) exactly as PermenPANRB 14/2017 prescribes.

Per element (unsur) the mean over respondents (NRR); each weighted 1/9; IKM = sum × 25, so a value
between 25 and 100. Arithmetic is done with fractions and rounded half-up to two decimals once, at the
end, and the grade is read from the rounded value (the published intervals have two decimals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ELEMENTS: tuple[str, ...] = (
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
WEIGHT = Fraction(1, len(ELEMENTS))
CONVERSION = 25

#: (lowest IKM of the grade, grade, meaning), best first.
GRADES: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Ikm:
    """The index of one agency and period, with what it was computed from."""

    respondents: int
    element_means: dict[str, Decimal]
    value: Decimal
    grade: str
    meaning: str


def grade_of(value: Decimal) -> tuple[str, str]:
    """The grade and its meaning for an IKM already rounded to two decimals."""
    for lowest, grade, meaning in GRADES:
        if value >= lowest:
            return grade, meaning
    return GRADES[-1][1], GRADES[-1][2]


def round2(value: Fraction) -> Decimal:
    """Round half-up to two decimals (as the regulation's worked examples do)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWO_PLACES, ROUND_HALF_UP)


def ikm_from_sums(respondents: int, element_sums: Mapping[str, int]) -> Ikm | None:
    """IKM from the number of respondents and the sum of the scores of each element; None without data."""
    if respondents <= 0:
        return None
    means = {name: Fraction(element_sums[name], respondents) for name in ELEMENTS}
    exact = sum((mean * WEIGHT for mean in means.values()), Fraction(0)) * CONVERSION
    value = round2(exact)
    grade, meaning = grade_of(value)
    shown = {
        name: (Decimal(m.numerator) / Decimal(m.denominator)).quantize(Decimal("0.0001"))
        for name, m in means.items()
    }
    return Ikm(respondents, shown, value, grade, meaning)


def ikm_from_answers(answers: Sequence[Mapping[str, int]]) -> Ikm | None:
    """IKM from individual answers (each a mapping element → 1..4)."""
    sums = {name: sum(a[name] for a in answers) for name in ELEMENTS}
    return ikm_from_sums(len(answers), sums)
