"""`python -m debt_rules` (rules.md "Command line"): JSON out and exit 0, or exit 2 with one
line on stderr naming the field, nothing on stdout, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, stdin=b""):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    return subprocess.run([sys.executable, "-m", "debt_rules", *args], input=stdin, capture_output=True,
                          env=env, cwd=ROOT, timeout=60)


def assert_bad(proc, field):
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, err
    assert proc.stdout == b""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{field}: "), lines[0]
    assert len(lines[0]) > len(field) + 4  # a problem is stated


def test_diagnose_prints_the_assessment():
    profile = {"debts": [{"lender_type": "consumer_finance", "balance": 3_000_000}], "monthly_capacity": 50_000}
    proc = cli("diagnose", stdin=json.dumps(profile))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    a = json.loads(proc.stdout)
    assert a["primary"] == "voluntary_settlement"
    assert a["settlement"] == {"months_needed": 60, "monthly_36": 83_334, "monthly_60": 50_000}


def test_recalculate_json_and_csv_give_the_cap_example():
    history = {"transactions": [{"date": "2008-01-01", "borrowed": 500000, "repaid": 0},
                                {"date": "2008-02-01", "borrowed": 0, "repaid": 300000},
                                {"date": "2008-03-01", "borrowed": 0, "repaid": 300000}],
               "as_of": "2008-03-30"}
    proc = cli("recalculate", stdin=json.dumps(history))
    assert proc.returncode == 0, proc.stderr.decode()
    r = json.loads(proc.stdout)
    assert (r["overpayment"], r["overpayment_interest"], r["claim"]) == (89_417, 354, 89_771)
    assert len(r["rows"]) == 3


def test_recalculate_csv_file_with_bom(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes("\ufeffdate,borrowed,repaid\r\n2008-01-01,500000,0\r\n2008-02-01,0,300000\r\n"
                     "2008-03-01,0,300000\r\n".encode("utf-8"))
    proc = cli("recalculate", "--csv", str(path), "--as-of", "2008-03-30")
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["claim"] == 89_771
    # from stdin too, with the 25% contract-rate override
    proc = cli("recalculate", "--csv", "-", "--rate-percent-override", "25",
               stdin="date,borrowed,repaid\n2000-03-01,500000,0\n2000-03-31,0,25000\n")
    assert json.loads(proc.stdout)["rows"][1]["interest"] == 10_245


def test_json_with_bom_is_read():
    proc = cli("diagnose", stdin="\ufeff{}".encode("utf-8"))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["missing"][0] == "debts"


@pytest.mark.parametrize("stdin, field", [
    (b"", "input"),                                              # empty stdin
    (b"  \n", "input"),
    (b"{not json", "input"),                                     # invalid JSON
    (b"\xff\xfe{}", "input"),                                    # not UTF-8
    (b'{"monthly_capacity": NaN}', "input"),
    (b"[]", "profile"),                                          # not an object
    (b'{"monthly_capacity": true}', "monthly_capacity"),         # bool where int expected
    (b'{"monthly_capacity": 10000000001}', "monthly_capacity"),  # over 10,000,000,000 yen
    (b'{"monthly_capacity": -1}', "monthly_capacity"),
    (b'{"debts": [{"balance": 20000000000}]}', "debts[0].balance"),
    (b'{"debts": [{"lender_type": "loan_shark"}]}', "debts[0].lender_type"),   # unknown enum
    (b'{"cause": "lottery"}', "cause"),
    (b'{"debts": [{"start_year": 2010, "completed_year": 2001}]}', "debts[0].completed_year"),
    (b'{"monthly_capasity": 1}', "monthly_capasity"),            # unknown field: rejected
])
def test_diagnose_bad_input(stdin, field):
    assert_bad(cli("diagnose", stdin=stdin), field)


@pytest.mark.parametrize("stdin, field", [
    (b"", "input"),
    (b"{", "input"),
    (b"[]", "history"),
    (b'{"transactions": []}', "transactions"),
    (b'{"transactions": [{"date": "2008-02-01", "borrowed": 1}, {"date": "2008-01-01", "repaid": 1}]}',
     "transactions[1].date"),                                                        # dates backwards
    (b'{"transactions": [{"date": "2008-01-01", "borrowed": true}]}', "transactions[0].borrowed"),
    (b'{"transactions": [{"date": "2008-01-01", "repaid": 10000000001}]}', "transactions[0].repaid"),
    (b'{"transactions": [{"date": "2008-01-01", "repaid": -3}]}', "transactions[0].repaid"),
    (b'{"transactions": [{"date": "2008-01-01", "borrowed": 1}], "as_of": "2007-01-01"}', "as_of"),
])
def test_recalculate_bad_json(stdin, field):
    assert_bad(cli("recalculate", stdin=stdin), field)


@pytest.mark.parametrize("text, field", [
    ("date,borrowed\n2008-01-01,1\n", "1行目"),                        # missing column
    ("\ufeffdate,borrowed,repaid\n2008-01-01,x,0\n", "2行目 borrowed"),  # BOM, then a bad cell
    ("date,borrowed,repaid\n2008-02-01,1,0\n2008-01-01,0,1\n", "3行目 date"),
    ("", "PATH"),                                                      # empty file: names the file
])
def test_recalculate_bad_csv(tmp_path, text, field):
    path = tmp_path / "h.csv"
    path.write_text(text, encoding="utf-8")
    assert_bad(cli("recalculate", "--csv", str(path)), str(path) if field == "PATH" else field)


def test_missing_csv_file_and_bad_command_line(tmp_path):
    missing = str(tmp_path / "nope.csv")
    assert_bad(cli("recalculate", "--csv", missing), missing)
    for args in ((), ("explain",), ("recalculate", "--rate-percent-override", "abc")):
        proc = cli(*args)
        assert proc.returncode == 2 and proc.stdout == b""
        assert len(proc.stderr.decode().splitlines()) == 1
        assert "Traceback" not in proc.stderr.decode()
