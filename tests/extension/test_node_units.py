"""The extension's unit tests run on node's built-in runner; this makes them part of `pytest`."""
import shutil
import subprocess
from pathlib import Path

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]


def test_extension_unit_tests_pass():
    node = shutil.which("node")
    require_or_skip(node is not None, "node is not installed")
    result = subprocess.run([node, "--test", "extension/test/"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_extension_package_builds(tmp_path):
    require_or_skip(shutil.which("node") is not None, "node is not installed")
    result = subprocess.run(["sh", "extension/build.sh", "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.glob("*.zip")), "no zip was built"
