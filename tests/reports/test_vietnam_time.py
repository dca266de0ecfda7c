"""Every time on the ward's assessment is Vietnam time, never UTC: a review given at
00:30 on 03/12 in Hà Nội (17:30 on 02/12 in UTC) prints 03/12."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ward_desk.reports.tables import assessment_headline

from ward_desk.services import assessment as A


def test_the_assessment_prints_vietnam_time(session) -> None:
    view = replace(A.show(session, "2026-11"), review_comment="Bổ sung minh chứng tiêu chí 1.1",
                   reviewed_at=datetime(2026, 12, 2, 17, 30), submitted_at=datetime(2026, 12, 2, 16, 45),
                   signature=b"\x01" * 64, signed_by="Phạm Thị Lãnh Đạo")
    lines = "\n".join(assessment_headline(view, "Phường Mũi Né", "vi"))
    assert "(03/12/2026): Bổ sung minh chứng" in lines
    assert "02/12/2026 23:45" in lines  # submitted at 16:45 UTC: still 02/12 in Hà Nội
    assert "UTC" not in lines
