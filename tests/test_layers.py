"""The layering contract (pyproject's [tool.importlinter]) holds: core ↛ adapters/platforms,
adapters ↛ SQL. A probe module proves the contract can fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is a dev dependency: pip install -e '.[dev]'"
    return subprocess.run([exe], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layers_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_core_module_importing_a_platform_breaks_the_contract(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for part in ("bot", "adapters"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "bot" / "leaky.py").write_text("import telegram\n")
    (copy / "adapters" / "sql.py").write_text("from bot.models import PaperRow\n")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "0 kept, 2 broken" in result.stdout
    assert "bot.leaky -> telegram" in result.stdout
    assert "adapters.sql -> bot.models" in result.stdout
