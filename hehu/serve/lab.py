"""JupyterLab as Hehu serves it to staff (`hehu lab`, and behind the hub): menus in Chinese,
nothing asked of the internet.

The settings folder holds `overrides.json`: the zh_CN language pack as the default language
(English stays one click away under 设置 → 语言) and no question about fetching Jupyter news.
(Starting a notebook's kernel without asking, `autoStartDefaultKernel`, was tried: on a busy
machine it raced the notebook's own start, two kernels started and the notebook kept the one
shut down. JupyterLab may instead ask "选择内核" on a busy machine; 选择 answers it.)
The options turn off what would reach outside a county intranet: the news feed, the update
check and the extension manager's PyPI search.
"""

from __future__ import annotations

from pathlib import Path

LAB_SETTINGS = Path(__file__).resolve().parent / "jupyter" / "lab" / "settings"

LAB_OPTIONS = [
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
    f"--LabApp.app_settings_dir={LAB_SETTINGS}",
]
