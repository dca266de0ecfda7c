"""Schemathesis against the receiver's own OpenAPI document: no input gives a 5xx."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from sync_helpers import Receiver
from test_sync_receiver import enrolled_ward

from sync_agent.envelope import raw_private

MAX_EXAMPLES = 25  # per operation and mode: enough to hit every branch, bounded in time


@pytest.mark.timeout(300)
def test_no_server_errors(receiver: Receiver) -> None:
    ward = enrolled_ward(receiver.data_dir)  # so some generated office codes exist
    ward.add_dossiers(2)
    schema = schemathesis.openapi.from_url(receiver.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7  # every route (schemathesis may leave out the schema itself)
    failures: list[str] = []
    seen: dict[tuple[str, str, int], int] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def check(case) -> None:
                response = case.call(base_url=receiver.url, timeout=10)
                seen[(case.method, case.path, response.status_code)] = seen.get((case.method, case.path, response.status_code), 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

            # Unsatisfiable: e.g. no negative input exists for an operation without parameters.
            with contextlib.suppress(Unsatisfiable):
                check()
    assert not failures, "\n".join(failures[:10])
    assert {path for _, path, _ in seen} >= {"/v1/batches", "/status", "/v1/wards/{office_code}/ack"}


def _conformance_run(receiver: Receiver, tmp_path: Path) -> subprocess.CompletedProcess:
    """schemathesis's own CLI, every check it has (status codes, content types, headers,
    response schemas, positive and negative data, Allow on 405), against the receiver."""
    ward = enrolled_ward(receiver.data_dir)
    ward.add_dossiers(2)
    keys = tmp_path / "ward-keys.json"
    keys.write_text(json.dumps({"office": ward.office_code, "signing_key": raw_private(ward.key).hex(),
                                "district_pub": str(receiver.data_dir / "district.pub")}))
    env = {**os.environ, "WARD_DESK_TEST_ENVELOPE_KEYS": str(keys), "SCHEMATHESIS_HOOKS": "openapi_hooks",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run", receiver.url + "/openapi.json", "--checks", "all",
         "--max-examples", "25", "--seed", "13", "--no-color"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=280)


@pytest.mark.timeout(300)
def test_the_document_matches_the_behaviour(receiver: Receiver, tmp_path: Path) -> None:
    """Issue 13 item 6: not only "no 5xx": every conformance check passes."""
    proc = _conformance_run(receiver, tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout and "Fuzzing" in proc.stdout and "Coverage" in proc.stdout


def test_a_405_lists_every_method_of_the_path(receiver: Receiver) -> None:
    """Two routes for one path made the 405 say "Allow: GET, HEAD" for the enrolment path,
    which also takes POST."""
    import requests

    r = requests.request("OPTIONS", receiver.url + "/v1/enrol/22918", timeout=10)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}


def test_an_unknown_language_is_what_the_document_says(receiver: Receiver) -> None:
    import requests

    doc = requests.get(receiver.url + "/openapi.json", timeout=10).json()
    [lang] = [p for p in doc["paths"]["/status"]["get"]["parameters"] if p["name"] == "lang"]
    r = requests.get(receiver.url + "/status", params={"lang": "fr"}, timeout=10)
    assert r.status_code == 200 and "Tra cứu hồ sơ" in r.text  # the district's default language
    assert "enum" not in lang["schema"], "the document would call this request invalid"
    body = doc["paths"]["/v1/batches"]["post"]["requestBody"]["content"]["application/octet-stream"]["schema"]
    assert body["format"] == "ward-desk-envelope"  # not "any bytes": the receiver refuses those with 400
