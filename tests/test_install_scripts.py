"""The installers and the offline bundle.

* install.sh's syntax (bash -n) and install.ps1's (the tree-sitter PowerShell grammar under
  node: no PowerShell runs on these Linux machines; see the README);
* ``./install.sh --bundle DIR --for windows|linux`` writes a folder from which pip resolves
  the whole install with no index (one Python version per platform here: each bundle is a
  download of ~47 wheels, the four versions only multiply it);
* the Linux bundle's own install.sh installs from it alone, outside the source tree, and the
  installed ``ward-desk`` builds the demo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def _offline_env(**extra: str) -> dict[str, str]:
    """No index and no find-links but the bundle's: the machine's pip settings add others."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "WARD_DESK_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def _dry_run(bundle: Path, platforms: list[str], python: str, tmp: Path) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--find-links", str(bundle),
            "--only-binary=:all:", *[a for p in platforms for a in ("--platform", p)], "--python-version", python,
            "--implementation", "cp", "--ignore-installed", "--target", str(tmp / "target"), "ward-desk"]
    return subprocess.run(argv, env=_offline_env(), capture_output=True, text=True, timeout=300)


def _bundle(dest: Path, target: str, python: str) -> Path:
    proc = subprocess.run(["bash", str(ROOT / "install.sh"), "--bundle", str(dest), "--for", target,
                           "--python", python], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert {"install.sh", "install.ps1", "README.txt"} <= {p.name for p in dest.iterdir()}
    return dest


def test_install_sh_parses_and_refuses_bad_options() -> None:
    assert subprocess.run(["bash", "-n", str(ROOT / "install.sh")]).returncode == 0
    for argv in (["--bundle", "/tmp/x"], ["--bundle", "/tmp/x", "--for", "macos"], ["--for", "linux"], ["--nope"]):
        proc = subprocess.run(["bash", str(ROOT / "install.sh"), *argv], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "install.sh:" in proc.stderr, (argv, proc.stderr)


def test_install_ps1_parses(tmp_path_factory: pytest.TempPathFactory) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed in CI to check install.ps1", pytrace=False)
        pytest.skip("node / npm not installed")
    tool = tmp_path_factory.mktemp("ps1")
    for name in ("package.json", "check.mjs"):
        shutil.copy(ROOT / "tools" / "ps1_syntax" / name, tool / name)
    installed = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund"], cwd=tool,
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    good = subprocess.run([node, "check.mjs", str(ROOT / "install.ps1")], cwd=tool, capture_output=True, text=True)
    assert good.returncode == 0, good.stdout
    broken = tool / "broken.ps1"
    broken.write_text("function f( {\n  $x = @(1, 2\n", encoding="utf-8")  # the checker does find errors
    assert subprocess.run([node, "check.mjs", str(broken)], cwd=tool, capture_output=True).returncode == 1


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_windows_bundle_resolves_offline(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "usb-windows", "windows", "3.12")
    wheels = {p.name for p in bundle.glob("*.whl")}
    assert any(n.startswith("sqlcipher3-") and n.endswith("cp312-win_amd64.whl") for n in wheels), wheels
    assert not any(n.startswith("font_roboto") for n in wheels)
    proc = _dry_run(bundle, ["win_amd64"], "3.12", tmp_path)
    assert proc.returncode == 0 and "Would install" in proc.stdout, proc.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_linux_bundle_resolves_and_installs_offline_and_runs_the_demo(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "usb-linux", "linux", PY)
    proc = _dry_run(bundle, ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64"], PY, tmp_path)
    assert proc.returncode == 0 and "Would install" in proc.stdout, proc.stderr
    # The bundle's own installer, from the bundle alone, into a home outside the source tree.
    home = tmp_path / "home"
    env = _offline_env(WARD_DESK_HOME=str(home), PYTHON=sys.executable)
    installed = subprocess.run(["bash", str(bundle / "install.sh")], env=env, capture_output=True, text=True,
                               timeout=600, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    ward_desk = home / ".venv" / "bin" / "ward-desk"
    demo = subprocess.run([str(ward_desk), "demo", "--no-ui", "--years", "1", "--as-of", "03/03/2026 09:30",
                           "--data-dir", str(tmp_path / "demo")], env={**env, "WARD_DESK_KDF_MEMORY_KIB": "64"},
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "demo-muine" in demo.stdout
    where = subprocess.run([str(home / ".venv" / "bin" / "python"), "-c", "import ward_desk; print(ward_desk.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout
