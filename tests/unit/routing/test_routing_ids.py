from __future__ import annotations

import uuid

import pytest

from routing.domain.ids import NAMESPACE, derived_id


@pytest.mark.parametrize("trigger", ["0b6f4c1e-9d1a-4f51-8a55-3c1e2d4b5a69", "bdg-dlh:ev-1", "ĳ:é", ""])
@pytest.mark.parametrize("kind", ["routed", "assigned", "unroutable", "lifecycle"])
def test_derived_ids_are_the_uuid5_of_trigger_and_kind(trigger: str, kind: str) -> None:
    assert derived_id(trigger, kind) == str(uuid.uuid5(NAMESPACE, f"{trigger}:{kind}"))
