"""The test infrastructure itself works: a real PostgreSQL, and Voila seen through Chromium."""

import nbformat
import pytest
import sqlalchemy as sa


@pytest.mark.postgres
def test_postgres_round_trip(pg_url):
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            assert "PostgreSQL" in conn.execute(sa.text("select version()")).scalar_one()
            conn.execute(sa.text("create table t (id serial primary key, name text not null)"))
            conn.execute(sa.text("insert into t (name) values (:n)"), [{"n": "涟水县"}, {"n": "b"}])
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select name from t order by id")).scalars().all()
        assert rows == ["涟水县", "b"]  # UTF-8 survives the round trip
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_each_test_gets_its_own_empty_database(pg_url):
    engine = sa.create_engine(pg_url)
    try:
        assert "t" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.browser
def test_voila_serves_a_widget_notebook(voila_server, page, tmp_path, artifacts_dir):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell('import ipywidgets as w\nw.Label("你好")'))
    nbformat.write(nb, tmp_path / "hello.ipynb")

    url = voila_server({}, notebook_dir=tmp_path)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/voila/render/hello.ipynb")
    try:
        page.locator(".widget-label", has_text="你好").wait_for(timeout=30_000)
    except Exception:
        print(url.log_tail())
        raise
    page.screenshot(path=artifacts_dir / "voila_hello.png")
    assert errors == []
