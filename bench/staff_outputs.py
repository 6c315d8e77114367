"""Dump every output a role sees on the demo database into a folder of small text files.

Before a change that should leave a role's pages, command-line outputs and packs as they are,
run this on the old commit and on the new code and compare the two folders with `diff -r`:

    git worktree add /work/before COMMIT
    cd /work/before && PYTHONPATH=/work/before /work/main/.venv/bin/python \\
        /work/main/bench/staff_outputs.py /tmp/staff_before
    cd /work/main && .venv/bin/python bench/staff_outputs.py /tmp/staff_after
    diff -r /tmp/staff_before /tmp/staff_after

Nothing here imports Hehu's own modules (they move between versions): the code under test is
whatever `import hehu` finds with the environment given (PYTHONPATH first); its command line is
run as a program (the entry point that checkout's pyproject.toml names) and its page notebooks
are executed headless with nbclient, one at a time, each in a fresh kernel. After a page's cell,
one more cell in the same kernel walks the displayed widget tree and records, for every widget
in tree order, its class and its text-bearing values; then it selects, one at a time, every
option of each selector whose options are periods, and records the tree after each (the pages
observe their state and redraw), and opens each part of every accordion or tab (some are
filled only when opened). A page that fails writes its error into its file. Dates of today,
clock times,
widget and map ids, temporary paths and embedded images (as hashes) are normalised, so two
runs on the same code give the same folder.

    .venv/bin/python bench/staff_outputs.py OUTDIR [--role staff|deputy|presenter|admin]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

YEARS = (2021, 2022)
CLAIMS_FILE = "data/claims/lianshui_2022_report.csv"
GAZETTEER_FILE = "data/lianshui_gazetteer_nbs2023.csv"
UNKNOWN_PLACE = "320826999999"  # not in the gazetteer: the pages' error path
TIMEOUT = 300  # seconds for one notebook cell

# ----------------------------------------------------------------------------------------------
# Normalisation: what changes from run to run but is not the output


def _date_forms(day: dt.date) -> list[str]:
    months = [
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ]  # fmt: skip
    month = months[day.month - 1]
    return [
        day.isoformat(),
        f"{day:%Y%m%d}",
        f"{day:%Y/%m/%d}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%d.%m.%Y}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}年{day.month:02d}月{day.day:02d}日",
        f"{month} {day.day}, {day.year}",
        f"{month[:3]} {day.day}, {day.year}",
        f"{day.day} {month} {day.year}",
        f"{day.day} {month[:3]} {day.year}",
    ]


DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?![\d:])")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
FOLIUM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-zA-Z])")  # folium: kind_<uuid4 hex>
DATA_URL = re.compile(r"data:([\w.+/-]*)((?:;[\w-]+=[\w.-]+)*);base64,([A-Za-z0-9+/=\s]+)")


class Normaliser:
    """Replaces the run's volatile parts (today, clock times, ids, temp paths) in a text."""

    def __init__(self, paths: dict[str, str]):
        self.today = dt.date.today()
        # longest first: a path inside another is replaced by its own name
        self.paths = sorted(paths.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, text: str) -> str:
        for path, name in self.paths:
            text = text.replace(path, name)
        text = DATA_URL.sub(_hash_data_url, text)
        text = DATETIME.sub("<datetime>", text)
        for day in {self.today, dt.date.today()}:  # a run that passes midnight
            for form in _date_forms(day):
                text = text.replace(form, "<today>")
        text = CLOCK.sub("<time>", text)
        text = ADDRESS.sub("0x<address>", text)
        text = UUID.sub("<uuid>", text)
        return number_ids(text)


def number_ids(text: str) -> str:
    """folium's random element ids as id1, id2… in order of appearance."""
    ids: dict[str, str] = {}
    return FOLIUM_ID.sub(lambda m: ids.setdefault(m.group(0), f"id{len(ids) + 1}"), text)


def _hash_data_url(match: re.Match) -> str:
    payload = re.sub(r"\s+", "", match.group(3))
    return f"data:{match.group(1)};sha1={_sha1(payload)}"


def _sha1(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha1(data).hexdigest()[:12]


# ----------------------------------------------------------------------------------------------
# HTML as lines of text (pages, packs, map iframes)

BLOCK = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "head", "header", "hr", "html", "legend", "li", "main", "nav", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
}  # fmt: skip
CELL = {"td", "th"}
VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "base"}
SHOWN_ATTRS = ("data-hehu", "title", "aria-label", "alt", "href", "placeholder", "value")
SVG = re.compile(r"<svg\b.*?</svg>", re.S | re.I)
STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.S | re.I)
HTML_IN_JS = re.compile(r"`([^`]*<[a-zA-Z][^`]*)`")
JSON_HTML = re.compile(r'"(?:[^"\\]|\\.)*\\u003c(?:[^"\\]|\\.)*"')  # HTML escaped in JSON


class _TextParser(HTMLParser):
    def __init__(self, depth: int):
        super().__init__(convert_charrefs=True)
        self.depth = depth
        self.lines: list[str] = []
        self.line: list[str] = []
        self.cells = 0
        self.raw: str | None = None  # inside <script>: collected as is

    def flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.line)).strip()
        if text:
            self.lines.append(text)
        self.line = []
        self.cells = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.flush()
            if attrs.get("src"):
                self.lines.append(f"[script src={attrs['src']}]")
            self.raw = ""
            return
        if tag in BLOCK:
            self.flush()
        if tag in CELL:
            if self.cells:
                self.line.append(" | ")
            self.cells += 1
        shown = [f"{k}={v}" for k, v in attrs.items() if k in SHOWN_ATTRS and v]
        if tag == "img":
            shown.append(f"src={attrs.get('src', '')}")
        if shown:
            self.line.append(f" [{tag} {' '.join(shown)}] ")
        if tag == "iframe" and attrs.get("srcdoc"):
            self.flush()
            self.lines.append("[iframe]")
            self.lines.extend("  " + line for line in html_lines(attrs["srcdoc"], self.depth + 1))
            self.lines.append("[/iframe]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "script":
            if self.raw is not None and self.raw.strip():
                self.lines.extend(script_lines(self.raw, self.depth))
            self.raw = None
            return
        if tag in BLOCK or tag == "iframe":
            self.flush()

    def handle_data(self, data):
        if self.raw is not None:
            self.raw += data
        else:
            self.line.append(data)


def script_lines(js: str, depth: int) -> list[str]:
    """An inline script, one statement line each, with the HTML in its template strings as text."""

    def as_text(match: re.Match) -> str:
        return "`" + " / ".join(html_lines(match.group(1), depth + 1)) + "`"

    def json_html(match: re.Match) -> str:
        try:
            value = json.loads(match.group(0))
        except ValueError:
            return match.group(0)
        return json.dumps(" / ".join(html_lines(value, depth + 1)), ensure_ascii=False)

    js = HTML_IN_JS.sub(as_text, js)
    js = JSON_HTML.sub(json_html, js)
    statements, current = [], []
    for line in js.splitlines():
        line = line.strip()
        if not line:
            continue
        current.append(line)
        if line.endswith((";", "{", "}")) and not line.endswith(("({", "= {", ", {")):
            statements.append(" ".join(current))
            current = []
    if current:
        statements.append(" ".join(current))
    return ["js: " + s for s in statements]


def html_lines(markup: str, depth: int = 0) -> list[str]:
    """Readable lines of an HTML fragment: text by block, table cells joined by ' | '.

    Styles and inline SVG charts become a hash (any change shows, the bytes do not); the
    attributes that carry meaning (data-hehu, title, aria-label, alt, href) are kept; a map's
    iframe is read recursively, its scripts line by line.
    """
    markup = number_ids(markup)  # before hashing: a map's styles name its element ids
    if depth > 3:
        return [f"[nested html sha1={_sha1(markup)}]"]
    markup = STYLE.sub(lambda m: f"[style sha1={_sha1(m.group(2))}]", markup)
    markup = SVG.sub(lambda m: f" [svg sha1={_sha1(m.group(0))}] ", markup)
    parser = _TextParser(depth)
    parser.feed(markup)
    parser.close()
    if parser.raw:
        parser.lines.extend(script_lines(parser.raw, depth))
    parser.flush()
    return parser.lines


def looks_like_html(value: str) -> bool:
    return bool(re.search(r"<[a-zA-Z!/][^>]*>", value))


# ----------------------------------------------------------------------------------------------
# The code under test: where `import hehu` leads with this environment


def probe(env: dict, code: str, required: bool = True) -> str:
    """What a snippet prints in a fresh interpreter with `env` ("" if it fails and not required)."""
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if result.returncode:
        if not required:
            return ""
        raise SystemExit(f"probe failed: {code}\n{result.stderr}")
    return result.stdout.strip()


def find_root(env: dict) -> Path:
    """The checkout whose `hehu` package the interpreter imports with `env`."""
    package = probe(env, "import hehu, os; print(os.path.dirname(os.path.abspath(hehu.__file__)))")
    return Path(package).parent


def hehu_command(root: Path) -> tuple[list[str], str]:
    """How to run `hehu` for `root`'s code: the entry point its pyproject.toml names, through
    this interpreter (what the console script does).

    Not the environment's `bin/hehu`: that file is written at install time from whichever
    checkout was installed, and rewritten whenever someone reinstalls it (here it changed to
    the new layout's `from hehu.cli.main import main` in the middle of a run, which the old
    code does not have).
    """
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    target = project.get("scripts", {}).get("hehu")
    if not target:
        return [sys.executable, "-m", "hehu.cli"], f"{sys.executable} -m hehu.cli"
    module, _, func = target.partition(":")
    code = f"import sys; sys.argv[0] = 'hehu'; from {module} import {func}; sys.exit({func}())"
    return [sys.executable, "-c", code], f"{sys.executable} -c 'from {module} import {func}'"


# ----------------------------------------------------------------------------------------------
# Output folder


class Out:
    def __init__(self, folder: Path, normalise: Normaliser):
        self.folder = folder
        self.normalise = normalise
        self.files = 0

    def write(self, relative: str, text: str) -> None:
        path = self.folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = self.normalise(text)
        if not text.endswith("\n"):
            text += "\n"
        path.write_text(text, encoding="utf-8")
        self.files += 1


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("_") or "_"


# ----------------------------------------------------------------------------------------------
# 1. The command line


def run_cli(cmd: list[str], args: list[str], env: dict, cwd: Path) -> tuple[str, int, str, str]:
    start = time.perf_counter()
    result = subprocess.run([*cmd, *args], env=env, cwd=cwd, capture_output=True, text=True)
    shown = "$ hehu " + " ".join(args)
    print(f"  {shown}  ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return shown, result.returncode, result.stdout, result.stderr


def transcript(shown: str, code: int, stdout: str, stderr: str) -> str:
    parts = [shown, f"[exit {code}]"]
    if stdout:
        parts += ["[stdout]", stdout.rstrip("\n")]
    if stderr:
        parts += ["[stderr]", stderr.rstrip("\n")]
    return "\n".join(parts)


def pretty_json(stdout: str) -> str:
    """JSON output pretty-printed (keys in the program's order), else as it came."""
    try:
        return json.dumps(json.loads(stdout), ensure_ascii=False, indent=1)
    except ValueError:
        return stdout


def docx_lines(path: Path) -> list[str]:
    """A Word file's text: headers, body paragraphs and table cells in order, footers."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines: list[str] = []

    def block(container, parent) -> None:
        for child in container.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                text = Paragraph(child, parent).text
                style = Paragraph(child, parent).style
                name = style.name if style is not None else ""
                lines.append(f"[{name}] {text}" if name and name != "Normal" else text)
            elif tag == "tbl":
                table = Table(child, parent)
                lines.append("[table]")
                for row in table.rows:
                    lines.append(" | ".join(cell.text.replace("\n", " / ") for cell in row.cells))
                lines.append("[/table]")
            elif tag == "sdt":
                content = child.find(child.tag.replace("sdt", "sdtContent"))
                if content is not None:
                    block(content, parent)

    for number, section in enumerate(document.sections, 1):
        for kind in ("header", "footer"):
            part = getattr(section, kind)
            if not part.is_linked_to_previous or number == 1:
                text = "\n".join(p.text for p in part.paragraphs if p.text.strip())
                if text:
                    lines.append(f"[section {number} {kind}] {text}")
    block(document.element.body, document._body)
    for number, shape in enumerate(document.inline_shapes, 1):
        try:  # the picture's bytes, as a hash: a changed map or chart shows
            blip = shape._inline.graphic.graphicData.pic.blipFill.blip
            blob = document.part.related_parts[blip.embed].blob
            lines.append(f"[inline image {number}: sha1={_sha1(blob)}]")
        except Exception as exc:  # noqa: BLE001
            lines.append(f"[inline image {number}: {type(exc).__name__}]")
    return lines


def dump_cli(out: Out, cmd: list[str], env: dict, root: Path, work: Path, places: list[dict]):
    county = places[0]["code"]
    towns = [p["code"] for p in places[1:]]
    periods = [(str(y), ["--start", f"{y}-01-01", "--end", f"{y}-12-31"]) for y in YEARS]
    periods.append(("all", []))
    # metrics only read: two at a time (the briefings below are audited, so they go in order)
    with ThreadPoolExecutor(2) as pool:
        for label, period_args in periods:
            calls = [
                ["metrics", "--place", place["code"], *period_args, "--json"] for place in places
            ]
            results = pool.map(lambda args: run_cli(cmd, args, env, root), calls)
            parts = [
                transcript(shown, code, pretty_json(stdout), stderr)
                for shown, code, stdout, stderr in results
            ]
            out.write(f"cli/metrics_{label}.txt", "\n\n".join(parts))

    args = ["check-claims", CLAIMS_FILE, "--json"]
    shown, code, stdout, stderr = run_cli(cmd, args, env, root)
    out.write("cli/check_claims.txt", transcript(shown, code, pretty_json(stdout), stderr))

    files = work / "files"
    files.mkdir(exist_ok=True)
    jobs = [(f"briefing_{c}_2022_zh", c, "html", "zh") for c in [county, *towns[:3]]]
    jobs.append((f"briefing_{county}_2022_en", county, "html", "en"))
    jobs.append((f"pack_{county}+{towns[0]}_2022_zh", f"{county},{towns[0]}", "html", "zh"))
    jobs.append((f"pack_{county}+{towns[0]}_2022_en", f"{county},{towns[0]}", "html", "en"))
    jobs.append((f"briefing_{county}_2022_zh", county, "docx", "zh"))
    jobs.append((f"briefing_{towns[0]}_2022_en", towns[0], "docx", "en"))
    for name, codes, fmt, lang in jobs:
        target = files / f"{name}.{fmt}"
        args = ["briefing", "--place", codes, "--year", "2022", "--format", fmt, "--lang", lang]
        args += ["--out", str(target)]
        shown, code, stdout, stderr = run_cli(cmd, args, env, root)
        text = [transcript(shown, code, stdout, stderr)]
        if not target.exists():
            text.append("[no file written]")
        elif fmt == "html":
            markup = target.read_text(encoding="utf-8")
            out.write(f"cli/{name}.html", markup)
            text += ["[text]", *html_lines(markup)]
        else:
            try:
                text += ["[text]", *docx_lines(target)]
            except Exception as exc:  # noqa: BLE001 - one bad file is a line, not a crash
                text.append(f"ERROR reading the Word file: {type(exc).__name__}: {exc}")
        out.write(f"cli/{name}.{fmt}.txt", "\n".join(text))


# ----------------------------------------------------------------------------------------------
# 2. The pages

# Runs in the page's kernel right after the page's cell. Only ipywidgets is used: the tree is
# found from what the cell displayed (Out / _), else from the widgets alive in the kernel.
WALKER = r"""
def __hehu_walk(__target):
    import datetime, json, re
    import ipywidgets as W

    ip = get_ipython()
    try:  # every live widget by model id
        from ipywidgets.widgets.widget import _instances as registry
    except ImportError:
        registry = getattr(W.Widget, "widgets", None) or {}

    def kids(wd):
        found = []
        if isinstance(getattr(wd, "children", None), (tuple, list)):
            found = [c for c in wd.children if isinstance(c, W.Widget)]
        return found

    root, how = None, ""
    out = ip.user_ns.get("Out") or {}
    for key in sorted(out, reverse=True):
        if isinstance(out[key], W.Widget):
            root, how = out[key], "Out"
            break
    if root is None and isinstance(ip.user_ns.get("_"), W.Widget):
        root, how = ip.user_ns["_"], "_"
    if root is None:  # the largest tree among the live widgets no other widget contains
        alive = [x for x in list(registry.values()) if isinstance(x, W.Widget)]
        inner = {id(c) for x in alive for c in kids(x)}
        def size(x):
            return 1 + sum(size(c) for c in kids(x))
        tops = [x for x in alive if id(x) not in inner and kids(x)]
        if tops:
            root, how = max(tops, key=size), "live widgets"

    PERIOD = re.compile(r"^(\d{4}|all|\d{4}-\d{2}-\d{2}(:|\.\.)\d{4}-\d{2}-\d{2}|\d{4}-\d{2}-\d{2}:?|:?\d{4}-\d{2}-\d{2})$")
    TRAITS = ("description", "tooltip", "placeholder", "titles", "selected_index", "value",
              "min", "max", "step", "disabled", "icon", "button_style", "indent", "accept",
              "multiple", "rows", "continuous_update")

    def plain(v):
        if isinstance(v, (str, int, float, bool)) or v is None:
            return v
        if isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
            return v.isoformat()
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, bytes) or type(v).__name__ == "memoryview":
            return "<%d bytes>" % len(v)
        return repr(v)

    def options_of(wd):
        pairs = []
        for item in wd.options:
            if isinstance(item, (tuple, list)) and len(item) == 2:
                pairs.append((str(item[0]), item[1]))
            else:
                pairs.append((str(item), item))
        return pairs

    def is_selection(wd):
        return hasattr(wd, "options") and hasattr(wd, "index") and not isinstance(getattr(wd, "index", None), tuple)

    def node(wd, path):
        rec = {"cls": type(wd).__name__, "path": path, "attrs": [], "children": []}
        try:
            keys = set(getattr(wd, "keys", []) or [])
            layout = getattr(wd, "layout", None)
            flags = []
            if layout is not None:
                if getattr(layout, "display", None) == "none":
                    flags.append("display:none")
                if getattr(layout, "visibility", None) == "hidden":
                    flags.append("visibility:hidden")
            classes = list(getattr(wd, "_dom_classes", ()) or ())
            if classes:
                flags.append("." + ".".join(classes))
            rec["flags"] = flags
            if hasattr(wd, "options") and not isinstance(getattr(wd, "options"), (str, bytes)):
                try:
                    rec["attrs"].append(("options", plain([[l, v] for l, v in options_of(wd)])))
                except Exception as exc:
                    rec["attrs"].append(("options", "ERROR %r" % exc))
                if hasattr(wd, "label"):
                    rec["attrs"].append(("label", plain(wd.label)))
            for name in TRAITS:
                if name in keys or (name == "titles" and hasattr(wd, "titles")):
                    value = getattr(wd, name, None)
                    if name == "value" and type(value).__name__ in ("tuple",) and value and isinstance(value[0], dict):
                        value = ["<file %s>" % v.get("name", "?") for v in value]
                    if name in ("disabled", "indent", "multiple", "continuous_update") and not value:
                        continue
                    if name != "value" and (value in (None, (), []) or (isinstance(value, str) and not value.strip("\u200b \n"))):
                        continue
                    rec["attrs"].append((name, plain(value)))
            if hasattr(wd, "outputs") and isinstance(getattr(wd, "outputs"), (tuple, list)):
                for o in wd.outputs:
                    data = o.get("data", {}) if isinstance(o, dict) else {}
                    if "application/vnd.jupyter.widget-view+json" in data:
                        model = data["application/vnd.jupyter.widget-view+json"].get("model_id")
                        child = registry.get(model)
                        if isinstance(child, W.Widget):
                            rec["children"].append(node(child, path + [len(rec["children"])]))
                            continue
                    text = data.get("text/html") or data.get("text/plain") or o.get("text") if isinstance(o, dict) else None
                    rec["attrs"].append(("output", plain(text if text is not None else o)))
        except Exception as exc:
            rec["attrs"].append(("ERROR", "%s: %s" % (type(exc).__name__, exc)))
        for child in kids(wd):
            rec["children"].append(node(child, path + [len(rec["children"])]))
        return rec

    def flat(wd):
        yield wd
        for c in kids(wd):
            yield from flat(c)

    sections = []
    if root is None:
        sections.append({"name": "initial", "error": "no widget was displayed"})
    else:
        sections.append({"name": "initial", "root": how, "tree": node(root, [])})
        pickers = []
        for wd in flat(root):
            if not is_selection(wd):
                continue
            try:
                pairs = options_of(wd)
            except Exception:
                continue
            values = [v for _, v in pairs]
            desc = str(getattr(wd, "description", "") or "").lower()
            periodic = len(values) >= 2 and all(isinstance(v, str) and PERIOD.match(v) for v in values)
            named = any(k in desc for k in ("period", "期间", "时段", "年度"))
            if periodic or (named and len(values) >= 2):
                pickers.append((wd, pairs))
        for number, (wd, pairs) in enumerate(pickers, 1):
            original = wd.value
            for label, value in pairs:
                name = "picker%d_%s" % (number, value)
                try:
                    wd.value = value
                    sections.append({"name": name, "picker": number, "description": str(getattr(wd, "description", "")), "selected": [label, plain(value)], "tree": node(root, [])})
                except Exception as exc:
                    sections.append({"name": name, "error": "%s: %s" % (type(exc).__name__, exc)})
            try:
                wd.value = original
            except Exception as exc:
                sections.append({"name": "picker%d_restore" % number, "error": "%s: %s" % (type(exc).__name__, exc)})
        # accordions and tabs: open each part in turn (some fill a part only when it opens)
        containers = [x for x in flat(root) if hasattr(x, "selected_index") and hasattr(x, "titles") and kids(x)]
        for number, box in enumerate(containers, 1):
            original = box.selected_index
            titles = list(getattr(box, "titles", ()) or ())
            opened = []
            for index, child in enumerate(kids(box)):
                title = titles[index] if index < len(titles) else ""
                try:
                    box.selected_index = index
                    opened.append({"title": title, "tree": node(child, [index])})
                except Exception as exc:
                    opened.append({"title": title, "error": "%s: %s" % (type(exc).__name__, exc)})
            try:
                box.selected_index = original
            except Exception:
                pass
            sections.append({"name": "%s%d_opened" % (type(box).__name__.lower(), number), "opened": opened})
    import sys
    origins = {name: getattr(sys.modules.get(name), "__file__", None) for name in ("hehu", "widgets")}
    with open(__target, "w", encoding="utf-8") as f:
        json.dump({"sections": sections, "origins": origins}, f, ensure_ascii=False)

__hehu_walk(__HEHU_TARGET__)
del __hehu_walk
"""


def tree_lines(rec: dict, depth: int = 0, seen: dict | None = None) -> list[str]:
    """A widget and its children as indented lines; HTML values as text under them.

    `seen` maps a widget's path to its long option lists in the first tree of a page: a later
    tree (another period) says "as in 00_initial" for a list that did not change.
    """
    pad = "  " * depth
    path = tuple(rec.get("path", ()))
    flags = " ".join(rec.get("flags", []))
    lines = [f"{pad}{rec['cls']}{' ' + flags if flags else ''}"]
    for name, value in rec["attrs"]:
        if isinstance(value, str) and looks_like_html(value):
            lines.append(f"{pad}  {name}: (html)")
            lines.extend(f"{pad}  | {line}" for line in html_lines(value))
        elif isinstance(value, str) and "\n" in value:
            lines.append(f"{pad}  {name}: (text)")
            lines.extend(f"{pad}  | {line}" for line in value.splitlines())
        elif name in ("options", "titles") and isinstance(value, list) and len(value) > 6:
            if seen is not None and not seen.get("__later"):
                seen[path] = value
            elif seen is not None and seen.get(path) == value:
                lines.append(f"{pad}  {name}: {len(value)}, as in 00_initial")
                continue
            lines.append(f"{pad}  {name}: {len(value)}")
            lines.extend(
                f"{pad}  - {json.dumps(item, ensure_ascii=False)}" for item in value
            )  # one a line: a place list diffs line by line
        else:
            lines.append(f"{pad}  {name}: {json.dumps(value, ensure_ascii=False)}")
    for child in rec["children"]:
        lines.extend(tree_lines(child, depth + 1, seen))
    return lines


def run_page(notebook: Path, query: str, env: dict, work: Path, root: Path) -> list[str | dict]:
    """Execute a page notebook and the walker; the sections, or error lines."""
    import nbformat
    from nbclient import NotebookClient

    target = work / "walk.json"
    target.unlink(missing_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    page_cells = [c for c in nb.cells if c.cell_type == "code"]
    walker = WALKER.replace("__HEHU_TARGET__", repr(str(target)))
    nb.cells.append(nbformat.v4.new_code_cell(walker))
    kernel_env = dict(env, QUERY_STRING=query)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    errors: list[str | dict] = []
    try:
        client.execute(env=kernel_env)
    except Exception as exc:  # noqa: BLE001 - a dead kernel or a timeout is a line in the file
        errors.append(f"ERROR executing the notebook: {type(exc).__name__}: {str(exc)[-2000:]}")
    for number, cell in enumerate(page_cells, 1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"ERROR in page cell {number}: {output['ename']}: {output['evalue']}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text", "").strip()
                if text:
                    errors.append(f"[page cell {number} stderr] {text}")
    for output in nb.cells[-1].get("outputs", []):
        if output.get("output_type") == "error":
            trace = "\n".join(output.get("traceback", [])[-3:])
            trace = re.sub(r"\x1b\[[0-9;]*m", "", trace)
            errors.append(f"ERROR in the walker: {output['ename']}: {output['evalue']}\n{trace}")
    sections: list[str | dict] = list(errors)
    if target.exists():
        walked = json.loads(target.read_text(encoding="utf-8"))
        for name, origin in walked["origins"].items():
            # the kernel must run the code under test, not the editable install's
            if origin and not Path(origin).resolve().is_relative_to(root.resolve()):
                sections.append(f"ERROR: the kernel imported {name} from {origin}, not {root}")
        sections.extend(walked["sections"])
    return sections


def page_runs(notebooks: list[Path], places: list[dict], key_village: str | None):
    """(notebook, folder name, query string) for every page in both languages, and some places."""
    # without ?place= the briefing and the overview show the county: other places, and a code
    # that is not in the gazetteer (the pages' error path)
    town, other = places[1]["code"], places[-1]["code"]
    extra = {
        "briefing": [town, other, key_village, UNKNOWN_PLACE],
        "overview": [town, UNKNOWN_PLACE],
    }
    for notebook in notebooks:
        for lang in ("zh", "en"):
            yield notebook, f"{notebook.stem}/{lang}", f"lang={lang}"
            for code in extra.get(notebook.stem, []):
                if code:
                    yield (
                        notebook,
                        f"{notebook.stem}/{lang}_place-{code}",
                        f"place={code}&lang={lang}",
                    )


def dump_pages(out: Out, root: Path, env: dict, work: Path, places, key_village, only=None):
    """Every page notebook in both languages (and some places), one kernel at a time."""
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    if only:
        notebooks = [n for n in notebooks if n.stem in only]
    failures = []
    for notebook, folder, query in page_runs(notebooks, places, key_village):
        start = time.perf_counter()
        sections = run_page(notebook, query, env, work, root)
        header = [f"page {notebook.name}?{query}"]
        errors = [s for s in sections if isinstance(s, str)]
        if errors:
            failures.append(f"{folder}: {errors[0].splitlines()[0]}")
        trees = [s for s in sections if isinstance(s, dict)]
        found = trees[0].get("root") if trees else None
        seen: dict = {}
        if not trees:
            out.write(f"pages/{folder}/00_initial.txt", "\n".join(header + errors))
        for number, section in enumerate(trees):
            lines = header + (errors if number == 0 else [])
            if section.get("selected"):
                label, value = section["selected"]
                lines.append(
                    f"after selecting {label!r} ({value}) in picker {section['picker']} "
                    f"({section.get('description', '')})"
                )
            if section.get("error"):
                lines.append(f"ERROR: {section['error']}")
                failures.append(f"{folder} {section['name']}: {section['error']}")
            if section.get("tree"):
                seen["__later"] = number > 0
                lines.extend(tree_lines(section["tree"], 0, seen))
            for index, part in enumerate(section.get("opened", [])):
                lines.append(f"== part {index} opened: {part['title']}")
                if part.get("error"):
                    lines.append(f"ERROR: {part['error']}")
                    failures.append(f"{folder} {section['name']} {index}: {part['error']}")
                else:
                    lines.extend(tree_lines(part["tree"], 1))
            name = f"{number:02d}_{safe_name(section['name'])}.txt"
            out.write(f"pages/{folder}/{name}", "\n".join(line for line in lines if line != ""))
        print(
            f"  {folder}: {len(trees)} trees (page found through {found}), {len(errors)} errors "
            f"({time.perf_counter() - start:.1f} s)",
            file=sys.stderr,
        )
    return failures


# ----------------------------------------------------------------------------------------------


def read_places(root: Path, db: Path) -> tuple[list[dict], str | None]:
    """The county and its towns and subdistricts from the gazetteer; a key village for the pages
    (the demo chooses them: the first by code in the database, else the gazetteer's first)."""
    with open(root / GAZETTEER_FILE, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    county = [r for r in rows if r["level"] == "county"]
    towns = sorted(
        (r for r in rows if r["level"] in ("town", "subdistrict")), key=lambda r: r["code"]
    )
    villages = sorted(r["code"] for r in rows if r["level"] == "village")
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            row = con.execute(
                "SELECT code FROM place WHERE key_village ORDER BY code LIMIT 1"
            ).fetchone()
        village = row[0] if row else None
    except sqlite3.Error:
        village = None
    return county[:1] + towns, village or (villages[0] if villages else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument(
        "--role", default="staff", help="HEHU_ROLE for the pages and the command line"
    )
    parser.add_argument("--pages", nargs="*", help="only these page notebooks (stems)")
    parser.add_argument("--no-cli", action="store_true", help="skip the command line")
    parser.add_argument("--no-pages", action="store_true", help="skip the pages")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    began = time.perf_counter()

    # One time zone for this process and every child: "today" is the same day for the pages'
    # kernels and for the normalisation here, on whatever machine the two dumps are taken.
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    work = Path(tempfile.mkdtemp(prefix="hehu-outputs-"))
    home = work / "home"
    home.mkdir()
    db = work / "demo.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEHU_", "VOILA_"))}
    env.pop("QUERY_STRING", None)
    env.update(
        HEHU_HOME=str(home),
        HEHU_DB=str(db),
        HEHU_ROLE=args.role,
        HEHU_TILES="none",
        PYTHONHASHSEED="0",
        TZ="Asia/Shanghai",
        MPLBACKEND="Agg",
        LC_ALL="C.UTF-8",
        PYTHONIOENCODING="utf-8",
    )
    # The code under test is the one found from the current directory's checkout when
    # PYTHONPATH names it; the kernels get the same path.
    root = find_root(env)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(root), *env.get("PYTHONPATH", "").split(os.pathsep)] if p
    )
    # the pages' package: each kernel also reports where it imported hehu and widgets from
    widgets_at = probe(
        env,
        "import importlib.util as u; s = u.find_spec('widgets'); "
        "print(s and (s.submodule_search_locations or [s.origin])[0])",
        required=False,
    )
    cmd, how = hehu_command(root)
    print(f"code under test: {root} (hehu), widgets from {widgets_at}", file=sys.stderr)
    print(f"command line: {how}; role {args.role}; temporary folder {work}", file=sys.stderr)

    if args.outdir.exists():
        shutil.rmtree(args.outdir)
    args.outdir.mkdir(parents=True)
    normalise = Normaliser(
        {str(work): "<tmp>", str(root): "<root>", str(Path.home()): "<home>", sys.prefix: "<venv>"}
    )
    out = Out(args.outdir, normalise)
    failures: list[str] = []
    try:
        shown, code, stdout, stderr = run_cli(cmd, ["demo", "--db", str(db)], env, root)
        out.write("cli/demo.txt", transcript(shown, code, stdout, stderr))
        if code:
            raise SystemExit(f"hehu demo failed:\n{stderr}")
        places, village = read_places(root, db)
        if not args.no_cli:
            dump_cli(out, cmd, env, root, work, places)
        if not args.no_pages:
            failures += dump_pages(out, root, env, work, places, village, args.pages)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - began
    size = sum(p.stat().st_size for p in args.outdir.rglob("*") if p.is_file())
    print(
        f"{out.files} files, {size / 1024:.0f} KiB in {args.outdir}; {seconds:.0f} s; "
        f"{len(failures)} failures",
        file=sys.stderr,
    )
    for failure in failures:
        print(f"  FAILED {failure}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
