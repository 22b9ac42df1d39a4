"""Rasa's own checks of the project: data validation and end-to-end test stories."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")


def run(args, tmp_path):
    log = tmp_path / "rasa.log"
    with open(log, "w") as fh:
        code = subprocess.run([RASA, *args], cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT).returncode
    return code, log.read_text(errors="replace")


@pytest.mark.slow
def test_data_validates_without_warnings(tmp_path):
    # no --domain, --data or --config: the project's files are where Rasa looks by default
    code, out = run(["data", "validate", "--fail-on-warnings"], tmp_path)
    assert code == 0, out[-3000:]


@pytest.mark.slow
def test_end_to_end_stories(trained_model, tmp_path):
    code, out = run(["test", "core", "--model", str(trained_model), "--stories", "tests/stories",
                     "--fail-on-prediction-errors", "--out", str(tmp_path / "results"),
                     "--endpoints", "endpoints.yml"], tmp_path)
    assert code == 0, out[-4000:]
