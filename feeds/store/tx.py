"""Write transactions that take the database's write lock up front.

On SQLite a deferred transaction that reads and then writes can fail at once with "database is locked" when
another connection committed in between (its snapshot is stale; the busy timeout does not apply to that
upgrade). Every store method that writes therefore begins with `BEGIN IMMEDIATE` (see the `begin` listener in
`feeds.store`): writers queue on the busy timeout instead. On PostgreSQL the option is ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect() as conn:
        conn.execution_options(immediate=True)
        with conn.begin():
            yield conn
