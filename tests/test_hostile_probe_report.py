"""The counts of ``benchmarks/hostile_probe.py`` (issue 23's must-show): every outcome of a
hostile case lands in its column."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE = '''
import pytest
from tests.hostile._probe import check_case

H = pytest.mark.hostile


@H("a")
def test_clear_error():
    check_case("e", lambda: int("x"), ValueError, "invalid literal")


@H("a", cases={"correct": 2, "error": 1})
def test_three_cases():
    pass


@H("b")
@pytest.mark.parametrize("error", [None])
def test_correct(error):
    check_case("c", lambda: 2, error, lambda r: r == 2)


@H("b")
def test_silent():
    check_case("s", lambda: 1, ValueError, "x")


@H("b")
def test_crash():
    check_case("k", lambda: [][1], ValueError, "x")


@H("b")
def test_unclear():
    check_case("u", lambda: int("x"), ValueError, "names the file")


@H("b")
def test_wrong_value():
    assert 1 + 1 == 3


@H("b")
def test_skipped():
    pytest.skip("not here")


def test_not_a_case():
    pass
'''


def test_every_outcome_is_counted_in_its_column(tmp_path):
    (tmp_path / "test_fake.py").write_text(FAKE)
    out = tmp_path / "probe.md"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "hostile_probe.py"),
                          "--tests", str(tmp_path / "test_fake.py"), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1, run.stdout + run.stderr  # some fake cases fail
    rows = {line.split("|")[1].strip(" *"): [c.strip().strip("*") for c in line.split("|")[2:-1]]
            for line in out.read_text().splitlines() if line.startswith("| ")}
    # cases, clear error, correct, silent wrong, crash, raw or unclear, skipped
    assert rows["a"] == ["4", "2", "2", "0", "0", "0", "0"]
    assert rows["b"] == ["6", "0", "1", "2", "1", "1", "1"]
    assert rows["all"] == ["10", "2", "3", "2", "1", "1", "1"]
    assert "test_fake.py::test_crash` (crash): Failed: k: IndexError instead of" in out.read_text()
