"""The sync status line: what the desk's background sync tells the clerk, in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ward_desk.i18n import t


def sync_facts(data_dir: Path) -> dict[str, Any]:
    """Plain facts for the status line (on the store thread).

    An office not enrolled upstream answers at once, without counting the
    outbox (millions of rows on a big store, all pending when nothing was
    ever sent)."""
    from ward_desk.store.models import Office

    office = Office.select(Office.upstream_url, Office.upstream_public_key).get()
    if not (office.upstream_public_key and office.upstream_url):
        return {"enrolled": False}
    from datetime import datetime, timezone

    from ward_desk.services.outbox import SyncStateStore, sync_status

    facts = sync_status(datetime.now(timezone.utc).replace(tzinfo=None))
    # The error itself (id and parameters), so the line can be worded again after a
    # language switch rather than keeping the text of the moment it was read.
    facts["error"] = SyncStateStore().last_error()
    return facts


def status_line(facts: dict[str, Any] | None, running: bool, progress: tuple[int, int] | None = None) -> str:
    """The line under the dashboard, in the current language ("" before the first check);
    while a run goes, with its count and a bar when it has one (``progress``)."""
    if facts is None:
        return ""
    if not facts.get("enrolled"):
        return t("ui.sync.not_enrolled")
    if running:
        if progress is not None and progress[1] > 0:
            done, total = progress
            filled = round(20 * done / total)
            return t("ui.sync.running_count", bar="█" * filled + "░" * (20 - filled), done=done, total=total,
                     percent=round(100 * done / total))
        return t("ui.sync.running")
    success = facts.get("last_success")
    if success:
        from datetime import datetime

        from ward_desk.ui.i18n import fmt_datetime

        success = fmt_datetime(datetime.fromisoformat(success))
    line = t("ui.sync.line", success=success or t("ui.sync.never"), pending=facts.get("pending", 0))
    error = facts.get("error")
    if error is not None:
        line += "\n" + t("ui.sync.error", error=error.render())
    return line
