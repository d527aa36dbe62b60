"""What a user without admtrack would run instead of `status`: from an `export --all-revisions` CSV, the
entry in force per (state, indicator, year) (the last one; a retraction hides it), then per (state,
indicator) the latest value and its 5-year compound annual growth rate, printed as JSON.

    python bench/peer_status.py pandas|duckdb ROWS.csv

Needs pandas or DuckDB, which admtrack does not depend on: bench/scale.py runs it only where the peer's
interpreter (--peer-python) can import them. The same job as status's reading side, not its methodology.
"""

from __future__ import annotations

import sys


def with_pandas(path: str) -> str:
    import pandas as pd

    df = pd.read_csv(path, usecols=["state", "indicator", "year", "value", "retracted"])
    df = df.drop_duplicates(["state", "indicator", "year"], keep="last")
    df = df[df["retracted"].astype(str).str.lower() != "true"].sort_values(["state", "indicator", "year"])
    last = df.groupby(["state", "indicator"]).tail(1).set_index(["state", "indicator"])
    base = df.assign(year=df["year"] + 5).set_index(["state", "indicator", "year"])["value"]
    start = base.reindex(pd.MultiIndex.from_arrays([last.index.get_level_values(0), last.index.get_level_values(1),
                                                    last["year"]]))
    last["cagr"] = (last["value"].to_numpy() / start.to_numpy()) ** (1 / 5) - 1
    return last.reset_index().to_json(orient="records")


def with_duckdb(path: str) -> str:
    import duckdb

    q = f"""
    WITH rows AS (SELECT *, row_number() OVER () AS n FROM read_csv_auto('{path}')),
    cur AS (SELECT state, indicator, year, value, retracted FROM rows
            QUALIFY row_number() OVER (PARTITION BY state, indicator, year ORDER BY n DESC) = 1),
    live AS (SELECT * FROM cur WHERE NOT coalesce(retracted, false)),
    last AS (SELECT * FROM live QUALIFY row_number() OVER (PARTITION BY state, indicator ORDER BY year DESC) = 1)
    SELECT l.state, l.indicator, l.year, l.value, pow(l.value / b.value, 1.0 / 5) - 1 AS cagr
    FROM last l LEFT JOIN live b ON b.state = l.state AND b.indicator = l.indicator AND b.year = l.year - 5
    """
    rows = duckdb.sql(q).fetchall()
    return str(len(rows))


if __name__ == "__main__":
    engine, csv_path = sys.argv[1], sys.argv[2]
    print((with_pandas if engine == "pandas" else with_duckdb)(csv_path))
