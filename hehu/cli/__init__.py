"""The `hehu` command."""

from __future__ import annotations

import argparse
import sys


def say_if_nothing_recorded(store) -> None:
    """One line on stderr, in Chinese and English, when the store holds no work records yet:
    every figure a command prints or writes is then 0, and the user should know why."""
    from hehu.i18n import t
    from hehu.records.schema import WORK_KINDS

    if not store.has_records(WORK_KINDS):
        print(f"{t('empty_work_cli')} / {t('empty_work_cli', 'en')}", file=sys.stderr)


def ready_store(db: str | None):
    """The store a server serves: opened (created if need be) with the gazetteer loaded."""
    from hehu.accounts import cli_actor
    from hehu.records.gazetteer import load_gazetteer
    from hehu.records.store import open_store

    store = open_store(db)
    if store.count("place") == 0:
        load_gazetteer(store, actor=cli_actor())
    return store


def port_number(text: str) -> int:
    """A TCP port from the command line (1–65535), else argparse's one-line error."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 1–65535 的整数：{text} / a port is 1–65535")
    return port


def period_from_args(args):
    """The period of --year or --start/--end; HehuError for a year outside 1900—2100."""
    from hehu.errors import HehuError
    from hehu.figures.metrics import Period
    from hehu.importing.cells import parse_year

    if args.year is None:
        return Period.of(args.start, args.end)
    try:
        return Period.year(parse_year(args.year))
    except ValueError as exc:
        raise HehuError(f"--year 有误：{exc}", f"bad --year: {args.year}") from None
