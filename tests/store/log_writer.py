"""A log writer process for the concurrency and kill -9 tests (not a test module).

Usage: python log_writer.py URL SCHEMA WRITER COUNT
Appends COUNT entries, one transaction each, and prints "ack <index> <body>" after each commit.
SCHEMA is a PostgreSQL schema name, or "-" for none.
"""

from __future__ import annotations

import sys

from sqlalchemy import create_engine

from sanctuarygate.audit.tree import append
from sanctuarygate.store.db import make_engine


def main() -> None:
    url, schema, writer, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if schema != "-":
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(url)
    for i in range(count):
        body = f'{{"i":{i},"writer":"{writer}"}}'
        with engine.begin() as conn:
            index = append(conn, body.encode())
        print(f"ack {index} {body}", flush=True)


if __name__ == "__main__":
    main()
