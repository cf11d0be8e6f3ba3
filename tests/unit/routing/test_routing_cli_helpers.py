"""Pure parts of the `satupintu` CLI: durations, problem text, choosing dead letters, argument parsing."""

from __future__ import annotations

import io

import pytest

from routing.cli import parser
from routing.cli_dlq import DeadLetter, select
from routing.cli_support import REFUSED, Answer, CommandFailed, clip, problem_text, show_duration, table


def letter(partition: int, offset: int, **headers: str) -> DeadLetter:
    return DeadLetter(partition, offset, 0, b"k", b"{}", tuple((k, v.encode()) for k, v in headers.items()))


def test_durations_read_like_people_write_them() -> None:
    assert show_duration(None) == "-"
    assert show_duration(0.42) == "0.4s"
    assert show_duration(42) == "42s"
    assert show_duration(125) == "2m 5s"
    assert show_duration(3 * 3600 + 120) == "3h 2m"
    assert show_duration(93_784) == "1d 2h"


def test_a_problem_shows_title_status_detail_and_each_field() -> None:
    answer = Answer(
        422,
        {
            "title": "Invalid request",
            "detail": "2 fields",
            "errors": [{"pointer": "/agency", "detail": "unknown"}],
        },
    )
    assert problem_text(answer) == "Invalid request (422): 2 fields\n  - /agency unknown"
    assert problem_text(Answer(502, None)) == "HTTP 502 (502)"


def test_a_table_aligns_columns_and_leaves_the_last_one_unpadded() -> None:
    out = io.StringIO()
    table(["A", "LONGER"], [["xyz", "1"], ["q", "22"]], out)
    assert out.getvalue().splitlines() == ["A    LONGER", "xyz  1", "q    22"]
    assert clip("a  b\nc", 10) == "a b c" and clip("x" * 20, 5) == "xxxx…"


def test_dead_letters_are_chosen_by_partition_and_offset_or_an_unambiguous_offset() -> None:
    records = [letter(0, 5), letter(1, 5), letter(2, 9)]
    assert [d.id for d in select(records, ["1:5", "9", "2:9"])] == ["1:5", "2:9"]
    with pytest.raises(CommandFailed) as failed:
        select(records, ["5", "3:1", "x"])
    assert failed.value.code == REFUSED
    message = str(failed.value)
    assert "5: ambiguous, name one of 0:5, 1:5" in message
    assert "3:1: no such dead letter" in message and "x: not an OFFSET" in message


def test_replayed_headers_drop_ours_and_say_where_they_came_from() -> None:
    d = letter(
        1, 7, ce_id="e-1", satupintu_dlq_reason="bad", satupintu_dlq_topic="t", satupintu_replayed_from="old"
    )
    assert d.original_headers("dlq") == [("ce_id", b"e-1"), ("satupintu_replayed_from", b"dlq:1:7")]


def test_the_commands_parse() -> None:
    args = parser().parse_args(["dlq", "replay", "0:1", "2", "--dry-run"])
    assert (args.ids, args.dry_run, args.all) == (["0:1", "2"], True, False)
    args = parser().parse_args(["agency", "keys", "revoke", "bdg-dlh", "k-1"])
    assert (args.action, args.agency, args.key_id) == ("revoke", "bdg-dlh", "k-1")
    assert parser().parse_args(["request", "show", "SP-1"]).tracking_number == "SP-1"
    assert parser().parse_args(["catalog", "apply", "demo.yaml", "--quiet"]).quiet  # what `make up` runs


def test_the_cli_is_the_admin_tool_from_the_secrets_folder_unless_the_environment_names_one(
    tmp_path, monkeypatch
) -> None:
    from routing.cli_support import kafka_settings

    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "satupintu-admin").write_text("s3cret\n")
    monkeypatch.setenv("SATUPINTU_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("KAFKA_SASL_USERNAME", raising=False)
    monkeypatch.delenv("KAFKA_SASL_PASSWORD_FILE", raising=False)
    assert kafka_settings().sasl_credentials() == ("satupintu-admin", "s3cret")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "someone")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "theirs")
    assert kafka_settings().sasl_credentials() == ("someone", "theirs")
