"""Where the demo finds each simulated agency's own credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from satupintu_demo.settings import DemoSettings


def test_agency_credentials_are_looked_up_in_the_platforms_secrets_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DEMO_AGENCY_CREDENTIALS_DIR", raising=False)
    monkeypatch.setenv("SATUPINTU_SECRETS_DIR", str(tmp_path / "secrets"))
    assert DemoSettings().credentials_dir() == tmp_path / "secrets" / "agencies"


def test_an_explicit_agency_credentials_folder_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEMO_AGENCY_CREDENTIALS_DIR", str(tmp_path / "mine"))
    assert DemoSettings().credentials_dir() == tmp_path / "mine"
