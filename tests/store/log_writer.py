"""A log writer process for the concurrency and kill -9 tests (not a test module).

Usage: python log_writer.py URL SCHEMA WRITER COUNT [THREADS]
Appends COUNT entries, one transaction each, and prints "ack <index> <body>" after each commit.
With THREADS, that many threads each append COUNT entries through one ``GroupCommit`` (the
service's path: concurrent appends share commits), printing "ack" once each append returned.
SCHEMA is a PostgreSQL schema name, or "-" for none.
"""

from __future__ import annotations

import sys
import threading

from sqlalchemy import create_engine

from sanctuarygate.audit.group import GroupCommit
from sanctuarygate.audit.tree import append
from sanctuarygate.store.db import make_engine


def main() -> None:
    url, schema, writer, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if schema != "-":
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(url)
    if len(sys.argv) > 5:
        grouped(GroupCommit(engine), writer, count, int(sys.argv[5]))
        return
    for i in range(count):
        body = f'{{"i":{i},"writer":"{writer}"}}'
        with engine.begin() as conn:
            index = append(conn, body.encode())
        print(f"ack {index} {body}", flush=True)


def grouped(group: GroupCommit, writer: str, count: int, threads: int) -> None:
    said = threading.Lock()

    def run(thread: int) -> None:
        for i in range(count):
            body = f'{{"i":{i},"thread":{thread},"writer":"{writer}"}}'
            index = group.append(body.encode())
            with said:
                sys.stdout.write(f"ack {index} {body}\n")
                sys.stdout.flush()

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
