"""Schemathesis against the receiver's own OpenAPI document: no input gives a 5xx."""

from __future__ import annotations

import contextlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from sync_helpers import Receiver
from test_sync_receiver import enrolled_ward

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
