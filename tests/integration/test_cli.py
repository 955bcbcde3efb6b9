"""The commands as a user runs them: the installed `watchd` executable, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent.parent
WATCHD = Path(sys.executable).parent / "watchd"
EXAMPLE = ROOT / "examples" / "iran-russia-aleppo.txt"
SEED = ROOT.parent / "shared" / "seeds" / "000_d4dd438ffea06cdb.txt"
MISSION = {"shamkhani-criticizes-russia", "unsc-aleppo"}


def watchd(*args: str, stdin: bytes = b"", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WATCHD), *args],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def hits(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def test_check_passes_on_the_shipped_rules() -> None:
    result = watchd("check", "rules/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_check_fails_with_located_messages(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("rules:\n  - id: a\n    wach: Iran\n")
    result = watchd("check", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("bad.yaml:3:5: unknown key 'wach' (did you mean 'watch'?)")


def check_mission_evidence(text: str, output: str) -> None:
    found = {hit["rule"]: hit for hit in hits(output)}
    assert set(found) >= MISSION
    for hit in found.values():
        for evidence in hit["evidence"]:
            assert text[evidence["start"] : evidence["end"]] == evidence["sentence"]
            for term in evidence["terms"]:
                assert text[term["start"] : term["end"]] == term["text"]
    criticism = found["shamkhani-criticizes-russia"]["evidence"][0]
    assert "challenged Russia" in criticism["sentence"]
    resolution = found["unsc-aleppo"]["evidence"][0]
    assert "Security Council resolution" in resolution["sentence"]
    assert "monitors" in resolution["sentence"]


def test_match_json_on_the_bundled_example() -> None:
    result = watchd("match", "--rules", "rules/", "--json", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    check_mission_evidence(EXAMPLE.read_text(), result.stdout)
    first = hits(result.stdout)[0]
    assert set(first) == {"document", "rule", "title", "evidence"}
    assert first["document"] == str(EXAMPLE)


@pytest.mark.skipif(
    not SEED.exists(), reason="the seed article lives in ../shared, beside CI's clone"
)
def test_match_json_on_the_seed_article() -> None:
    result = watchd("match", "--rules", "rules/", "--json", str(SEED))
    assert result.returncode == 0, result.stderr
    check_mission_evidence(SEED.read_text(), result.stdout)


@pytest.mark.parametrize(
    "negative",
    [
        "Shamkhani praised Russia.",
        "Russia criticized Shamkhani.",
        "Shamkhani did not criticize Russia.",
        "The Security Council met on Monday. Fighting continued in Aleppo.",
    ],
)
def test_mission_rules_stay_quiet_on_the_negatives(negative: str) -> None:
    result = watchd("match", "--rules", "rules/", "--json", "-", stdin=negative.encode())
    assert result.returncode == 0, result.stderr
    assert not MISSION & {hit["rule"] for hit in hits(result.stdout)}


def test_match_plain_output_marks_the_words() -> None:
    result = watchd("match", "--rules", "rules/", str(EXAMPLE))
    assert "Shamkhani criticizes Russia  [shamkhani-criticizes-russia]" in result.stdout
    assert "*Shamkhani* openly *challenged* *Russia*" in result.stdout


def test_match_reports_bad_documents_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Shamkhani condemned Russia.")
    (tmp_path / "b.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "c.txt").write_text("   ")
    result = watchd("match", "--rules", str(ROOT / "rules"), "--json", str(tmp_path), "missing.txt")
    assert result.returncode == 1
    assert "shamkhani-criticizes-russia" in [h["rule"] for h in hits(result.stdout)]
    assert "b.bin: binary file" in result.stderr
    assert "c.txt: empty document" in result.stderr
    assert "missing.txt: no such file or directory" in result.stderr


def test_match_with_broken_rules_exits_1() -> None:
    result = watchd("match", "--rules", "tests/data/bad/duplicate_id.yaml", str(EXAMPLE))
    assert result.returncode == 1
    assert "rule id 'a' already used" in result.stderr


def test_explain_shows_the_compiled_rule_and_the_verdict() -> None:
    result = watchd("explain", "--rules", "rules/", "shamkhani-criticizes-russia", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "event: actor VERB target" in out
    assert "verb: %criticize" in out and "target: @russia" in out
    assert "FIRES (actor 'Shamkhani'" in out
    assert out.rstrip().endswith("result: FIRES")


def test_explain_says_why_not(tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("Shamkhani praised Russia. Later, critics condemned the deal.")
    result = watchd("explain", "--rules", "rules/", "shamkhani-criticizes-russia", str(doc))
    assert "no: missing %criticize" in result.stdout
    assert "no: missing @shamkhani, @russia" in result.stdout
    assert result.stdout.rstrip().endswith("result: does not fire")


def test_explain_unknown_rule_is_a_usage_error() -> None:
    result = watchd("explain", "--rules", "rules/", "no-such-rule")
    assert result.returncode == 2
    assert "no rule 'no-such-rule'" in result.stderr


def test_match_decodes_legacy_text_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_bytes(
        "Shamkhani condemned Russia\u2019s \u201cplan\u201d.".encode("cp1252")
    )
    result = watchd("match", "--rules", str(ROOT / "rules"), "--json", str(tmp_path / "old.txt"))
    assert result.returncode == 0
    assert "old.txt: not UTF-8; decoded as cp1252" in result.stderr
    assert "shamkhani-criticizes-russia" in [h["rule"] for h in hits(result.stdout)]


def test_lexicon_says_what_words_mean() -> None:
    result = watchd("lexicon", "accuses", "Moscow", "the Secretary", "Zarif", "resolution")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "accuses: verb class criticize" in lines
    assert "Moscow: entity russia" in lines
    assert "the Secretary: role shamkhani" in lines  # from ./rules
    assert "Zarif: list iran-officials" in lines
    assert "resolution: not in the lexicon; a headline reads it as a word" in result.stdout


def test_lexicon_shows_a_whole_entry_and_its_forms() -> None:
    result = watchd("lexicon", "--verb", "meet")
    assert result.returncode == 0, result.stderr
    assert "- id: meet" in result.stdout and "symmetric: true" in result.stdout
    assert "met" in result.stdout.split("# matches", 1)[1].split(", ")
    unknown = watchd("lexicon", "--entity", "rusia")
    assert unknown.returncode == 2
    assert "no entity 'rusia' (did you mean 'russia'?)" in unknown.stderr
