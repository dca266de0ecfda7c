"""Slip tests import their helpers (``slip_testkit``) from this folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from slip_testkit import make_data

from ward_desk.slips.model import SlipData


@pytest.fixture
def data() -> SlipData:
    return make_data()
