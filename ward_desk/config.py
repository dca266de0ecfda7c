"""Local settings in ``<data dir>/config.toml``: read with tomllib, written with tomlkit.

Settings are few and all optional; a bad file never stops the app from
starting: the error names the file and line, and the defaults apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from ward_desk.errors import InvalidInput

CONFIG_NAME = "config.toml"


@dataclass(frozen=True)
class Settings:
    language: str = "vi"  # vi | en
    idle_lock_minutes: float = 10.0  # 0 disables the automatic lock
    sync_interval_minutes: float = 15.0
    # How the printed forms (Circular 03/2025/TT-VPCP) name the office; "" = derived from
    # the ward's name: "Trung tâm Phục vụ hành chính công phường X" under "UBND phường X".
    centre_name: str = ""
    authority_name: str = ""
    province_name: str = ""  # e.g. "tỉnh Lâm Đồng": printed above the authority
    slips_format: str = "pdf"  # pdf | docx
    open_slips: bool = True  # open printed slips in the system viewer
    # Printed slips are plaintext personal data: days they are kept; 0 = not kept once
    # printed (gone a few minutes after printing, and when the desk locks or closes).
    slips_keep_days: float = 30.0
    # The counter (quầy) desks opened on this PC serve at, unless --counter or
    # WARD_DESK_COUNTER names one for the session; recorded on events, printed on receipts.
    counter: str = ""

    def validate(self, path: Path) -> None:
        if self.language not in ("vi", "en"):
            raise InvalidInput("config.bad_value", path=str(path), key="language", value=self.language)
        if not 0 <= self.idle_lock_minutes <= 24 * 60:
            raise InvalidInput("config.bad_value", path=str(path), key="idle_lock_minutes",
                               value=self.idle_lock_minutes)
        if not 1 <= self.sync_interval_minutes <= 24 * 60:
            raise InvalidInput("config.bad_value", path=str(path), key="sync_interval_minutes",
                               value=self.sync_interval_minutes)
        for key in ("centre_name", "authority_name", "province_name"):
            value = getattr(self, key)
            if len(value) > 200 or any(ord(ch) < 32 for ch in value):
                raise InvalidInput("config.bad_value", path=str(path), key=key, value=value[:40])
        if not 0 <= self.slips_keep_days <= 3650:
            raise InvalidInput("config.bad_value", path=str(path), key="slips_keep_days", value=self.slips_keep_days)
        if not isinstance(self.counter, str):
            raise InvalidInput("config.bad_value", path=str(path), key="counter", value=self.counter)
        if self.slips_format not in ("pdf", "docx"):
            raise InvalidInput("config.bad_value", path=str(path), key="slips_format", value=self.slips_format)


def load_settings(data_dir: Path) -> Settings:
    """Settings from ``config.toml`` (defaults where the file or a key is absent).

    Raises ``InvalidInput('config.syntax', path, line)`` or ``config.bad_value``
    for a file that cannot be used; callers show it and carry on with defaults.
    """
    path = Path(data_dir) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError):
        raise InvalidInput("config.unreadable", path=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InvalidInput("config.syntax", path=str(path), line=line.group(1) if line else "?") from None
    known = {f.name: f.type for f in fields(Settings)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise InvalidInput("config.unknown_key", path=str(path), key=key, line=_line_of(text, key))
        default = getattr(Settings(), key)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise InvalidInput("config.bad_value", path=str(path), key=key, value=value)
        if isinstance(default, float) and not isinstance(value, (int, float)):
            raise InvalidInput("config.bad_value", path=str(path), key=key, value=value)
        if isinstance(default, str) and not isinstance(value, str):
            raise InvalidInput("config.bad_value", path=str(path), key=key, value=value)
        values[key] = float(value) if isinstance(default, float) else value
    settings = Settings(**values)
    settings.validate(path)
    return settings


def save_setting(data_dir: Path, key: str, value: object) -> None:
    """Change one setting, keeping the file's comments and layout (tomlkit)."""
    import tomlkit

    if key not in {f.name for f in fields(Settings)}:
        raise InvalidInput("config.unknown_key", path=CONFIG_NAME, key=key, line="-")
    path = Path(data_dir) / CONFIG_NAME
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    doc[key] = value
    tmp = path.with_name(CONFIG_NAME + ".tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    tmp.replace(path)


def _line_of(text: str, key: str) -> str:
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(key):
            return str(n)
    return "?"
