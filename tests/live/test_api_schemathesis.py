"""Schemathesis against the served application: for two personas (an OSPOD office and a provider,
their tokens made by ``minitendr tokens create``) every operation of the OpenAPI document is called with
generated input; no answer may be a 5xx, and none may contradict the document (status, content type,
body). Kept to a couple of minutes: a few examples per operation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live.server import ROOT, Server, live_database, prepare

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
PERSONAS = ("ospod.pardubice@demo.cz", "provider1@demo.cz")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def create_token(server: Server, email: str) -> str:
    """A token made the way a script's administrator makes it: the ``minitendr tokens create`` command."""
    command = [sys.executable, "-c", "from minitendr.cli import cli; cli()", "tokens", "create"]
    result = subprocess.run(
        [*command, "--user", email, "--name", "schemathesis"],
        cwd=ROOT,
        env=server.env | {"FLASK_APP": "minitendr:create_app"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed (test extras)")
def test_schemathesis_finds_no_server_error_and_no_contradiction(tmp_path):
    with live_database(tmp_path, "schemathesis") as url:
        prepare(url, tmp_path)
        with Server(url, tmp_path, workers=2, env={"MINITENDR_API_LIMIT": "100000 per minute"}) as server:
            for email in PERSONAS:
                token = create_token(server, email)
                examples = os.environ.get("MINITENDR_SCHEMATHESIS_EXAMPLES", "5")
                command = [str(SCHEMATHESIS), "run", f"{server.base_url}/api/v1/openapi.json"]
                command += ["--header", f"Authorization: Bearer {token}", "--checks", CHECKS]
                command += ["--phases", "examples,coverage,fuzzing", "--max-examples", examples]
                command += ["--generation-deterministic", "--no-color"]
                result = subprocess.run(
                    command,
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                print(result.stdout[-4000:])  # the summary, shown with -s
                assert result.returncode == 0, f"{email}:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
