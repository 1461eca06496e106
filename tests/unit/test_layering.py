"""The layering contracts in pyproject.toml (import-linter) hold, and would catch a breach."""

import os
import shutil
import subprocess
import sys

from ..support.processes import ROOT

LINT_IMPORTS = str(ROOT / ".venv" / "bin" / "lint-imports")


def lint(pythonpath: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else dict(os.environ)
    command = [LINT_IMPORTS, "--no-cache"] if os.path.exists(LINT_IMPORTS) else [sys.executable, "-m", "importlinter"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_tree_keeps_every_contract():
    result = lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_core_module_reaching_for_boto3_or_the_sandbox_breaks_the_contracts(tmp_path):
    copy = tmp_path / "operator"
    shutil.copytree(ROOT / "operator" / "elasticache_operator", copy / "elasticache_operator")
    naming = copy / "elasticache_operator" / "core" / "naming.py"
    naming.write_text(naming.read_text() + "\nimport boto3  # noqa\n")
    handlers = copy / "elasticache_operator" / "handlers.py"
    handlers.write_text(handlers.read_text() + "\nimport elasticache_sandbox  # noqa\n")
    result = lint(f"{copy}{os.pathsep}{ROOT / 'sandbox'}")
    assert result.returncode != 0
    assert "core is pure: no I/O, no clients, no kopf BROKEN" in result.stdout, result.stdout
    assert "the operator never imports the sandbox BROKEN" in result.stdout, result.stdout
