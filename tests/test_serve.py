"""`hehu serve`: refuses an open address without a token; sets the role on the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import free_port


def test_serving_off_localhost_needs_a_token(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hehu.cli.main",
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


def test_a_trusted_proxy_that_is_not_an_address_stops_the_server_before_it_starts(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", "serve", "--users", "--db",
         f"sqlite:///{tmp_path / 'x.sqlite'}"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
             "HEHU_TRUSTED_PROXIES": "127.0.0.1, nginx"},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "HEHU_TRUSTED_PROXIES 中的“nginx”不是地址或网段" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "x.sqlite").exists()


@pytest.mark.browser
def test_hehu_serve_preheated_pages_get_their_own_query(demo_db_copy, browser, tmp_path):
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hehu.cli.main",
            "serve",
            "--db",
            demo_db_copy,
            "--port",
            str(port),
            "--role",
            "deputy",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HEHU_HOME": str(tmp_path / "home")},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/tree", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        # a preheated kernel ran before its request: each page must still show the place asked for
        for code, name in [
            ("320826101000", "高沟镇"),
            ("320826002000", "朱码街道"),
            ("320826101000", "高沟镇"),
        ]:
            page = browser.new_page()
            # the page's content is what is waited for (60 s below), not its load event
            page.goto(
                f"http://127.0.0.1:{port}/voila/render/briefing.ipynb?place={code}",
                wait_until="commit",
            )
            place = page.locator('[data-hehu="briefing-place"]')
            place.wait_for(timeout=60000)
            assert place.inner_text() == name
            assert "人大代表" in page.inner_text(".hehu-sub >> nth=0")
            page.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_serve_culls_only_disconnected_kernels_by_default():
    from hehu.cli.main import CULL_IDLE_DEFAULT, build_parser, cull_options

    # a vanished page's kernel goes within minutes: timeout plus one look under 5 (issue 16)
    assert build_parser().parse_args(["serve"]).cull_idle == CULL_IDLE_DEFAULT == 180
    options = cull_options(CULL_IDLE_DEFAULT)
    assert "--MappingKernelManager.cull_idle_timeout=180" in options
    assert "--MappingKernelManager.cull_interval=60" in options
    assert "--MappingKernelManager.cull_connected=False" in options  # open pages keep theirs
    assert "--MappingKernelManager.cull_busy=False" in options
    assert cull_options(0) == [] and cull_options(-5) == []
