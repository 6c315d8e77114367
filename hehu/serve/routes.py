"""The addresses of the light pages, for the server that serves them and the pages that link to
them (a light import: the map builder uses it)."""

from __future__ import annotations

from urllib.parse import urlencode

from hehu.i18n import language

BRIEFING_ROUTE = r"/hehu/briefing/(\d{12})"
OVERVIEW_ROUTE = r"/hehu/overview"


def light_url(code: str | None, period_key: str | None = None, lang: str = "zh") -> str:
    """A light page's address below the server's base URL (no leading slash): the overview
    when `code` is None, else that place's briefing."""
    path = "hehu/overview" if code is None else f"hehu/briefing/{code}"
    query = {k: v for k, v in (("period", period_key), ("lang", lang)) if v and v != "zh"}
    return path + (f"?{urlencode(query)}" if query else "")


def light_url_from_page(code: str | None, lang: str = "zh", period_key: str | None = None) -> str:
    """The light page's address relative to a Voila page (…/voila/render/NAME.ipynb), so that
    it works under any base URL, JupyterHub's /user/NAME/ included."""
    return "../../" + light_url(code, period_key, lang)


def requested_language(query_arguments: dict[str, list[bytes]]) -> str:
    """The language a request's ?lang= asks for (`i18n.language`), read from its raw query
    arguments: never an error, so that a page refusing a request can say why in it (tornado's
    own reading refuses a value that is not UTF-8, again inside the refusal)."""
    asked = query_arguments.get("lang") or [b""]
    return language(asked[-1].decode("utf-8", "replace"))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether a request's Accept-Encoding names gzip with a q above 0 ("gzip;q=0" refuses it;
    a client that names no gzip gets the page as it is, which HTTP always allows)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip()] = weight
    return weights.get("gzip", weights.get("x-gzip", 0.0)) > 0


# The Jupyter server extension that serves them behind JupyterHub (deploy/jupyterhub_config.py).
LIGHT_EXTENSION = "hehu.serve.light_handlers"
