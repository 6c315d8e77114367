"""`hehu serve`: refuses an open address without a token; sets the role on the server."""

from __future__ import annotations

import subprocess
import sys


def test_serving_off_localhost_needs_a_token(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hehu.cli",
            "serve",
            "--ip",
            "0.0.0.0",
            "--db",
            f"sqlite:///{tmp_path / 'x.sqlite'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert "必须设置访问口令" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.sqlite").exists()  # refused before anything was created
