"""Hand-written SELECTs for the few lookups on the election-day hot path.

Compiling an ORM query costs this machine 0.4–1 ms of Python; running the same SELECT
on an indexed column costs SQLite about 0.02 ms.  A report submitted from a field device
makes about ten such lookups (token, memberships, election, station, category, the
idempotency key, the audit chain head), so they are written here as plain SQL, run on
the connection's driver cursor and turned into model instances with the ORM's own
converters; the writes of a report go in with statements built once per model
(docs/intake-load.md, decision 0002).  Only the intake uses this (README.md); everything
else uses the ORM.

The statements are literal strings naming the tables; values always go as parameters.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_save, pre_save
from psycopg import pq

from amanat.lib.limits import ID_MAX

M = TypeVar("M", bound=models.Model)
_backends_log = logging.getLogger("django.db.backends")


def _db() -> BaseDatabaseWrapper:
    # The wrapper itself, not the ``connection`` proxy: every attribute of the proxy is a
    # thread-local lookup, and a row of twenty fields makes dozens of them.
    return connections[DEFAULT_DB_ALIAS]


_FORMAT_MARK = re.compile(r"(?<!%)%s")
_NATIVE: dict[tuple[str, str], str] = {}


def _native(db: BaseDatabaseWrapper, statement: str) -> str:
    """The statement in the driver's own placeholder style, worked out once per text."""
    key = (db.vendor, statement)
    if key not in _NATIVE:
        # SQLite's driver takes ``?``; Django's SQLite cursor converts with a regular
        # expression on every execute.  psycopg takes ``%s`` as Django writes it.
        _NATIVE[key] = (_FORMAT_MARK.sub("?", statement).replace("%%", "%")
                        if db.vendor == "sqlite" else statement)
    return _NATIVE[key]


Ran = tuple[tuple[str, ...], list[tuple[Any, ...]], int, Any]


def _run(statement: str, params: Sequence[Any]) -> Ran:
    """Execute on the connection's driver cursor: (column names, rows, rowcount,
    lastrowid); no names and no rows for a statement that returns none.

    Django's cursor wraps every execute in several layers (thread and event-loop checks,
    error translation, SQL conversion, debug logging) that cost more than SQLite takes
    to run an indexed SELECT or a small INSERT.  This keeps what matters of them: the
    connection's health check and thread check, the refusal to run in a transaction
    that must roll back, and Django's database exceptions.  The same path runs whether
    or not queries are logged (DEBUG, tests counting queries): when they are, the
    statement is recorded here as Django's debug cursor would record it.
    """
    db = _db()
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    logged = db.queries_logged
    start = time.monotonic() if logged else 0.0
    with db.wrap_database_errors:
        cursor = _cursor(db)
        try:
            cursor.execute(_native(db, statement), params)
            names = _names(cursor)
            rows = cursor.fetchall() if names else []
            return names, rows, cursor.rowcount, getattr(cursor, "lastrowid", None)
        finally:
            if logged:  # a failed statement too, as Django records it
                _record(db, cursor, statement, params, time.monotonic() - start)
            cursor.close()


def _names(cursor: Any) -> tuple[str, ...]:
    """The result's column names, () when the statement returns no rows.

    psycopg builds ``cursor.description`` anew on every access, a Python object with a
    type look-up per column: for the intake's joined SELECTs of 60–150 columns that cost
    more of the app's CPU than the statement did the server's (docs/benchmarks.md,
    "PostgreSQL: the intake's result columns").  The names come from the result itself;
    sqlite3's description is a plain tuple made in C."""
    if isinstance(cursor, psycopg.Cursor):
        result = cursor.pgresult
        if result is None or result.status != pq.ExecStatus.TUPLES_OK:
            return ()
        encoding = cursor.connection.info.encoding
        return tuple(result.fname(i).decode(encoding)  # type: ignore[union-attr]
                     for i in range(result.nfields))
    return tuple(column[0] for column in cursor.description or ())


def _cursor(db: BaseDatabaseWrapper) -> Any:
    """The driver's cursor.  On PostgreSQL, unless behind pgbouncer, one that binds the
    values on the server (``psycopg.Cursor``; Django's own is a client-side binding
    ``ClientCursor``, which sends each statement as new text): psycopg then prepares a
    statement once it has run ``prepare_threshold`` times on the connection (settings:
    5, none behind pgbouncer), and PostgreSQL parses and plans it once per connection
    instead of on every request.  The hot path's dozen statements a report cost
    PostgreSQL more CPU than the app's own work on SQLite (docs/benchmarks.md,
    "PostgreSQL: intake at its causes")."""
    connection = db.connection
    if db.vendor == "postgresql" and connection.prepare_threshold is not None:
        return psycopg.Cursor(connection)
    return connection.cursor()


def _record(db: BaseDatabaseWrapper, cursor: Any, statement: str, params: Sequence[Any],
            duration: float) -> None:
    """What ``CursorDebugWrapper`` records: the statement in ``connection.queries``
    (``assertNumQueries``, the debug toolbar) and on the ``django.db.backends`` logger."""
    if isinstance(cursor, psycopg.ClientCursor) or db.vendor != "postgresql":
        text = db.ops.last_executed_query(cursor, statement, params)
    else:  # bound on the server: the text with the values in, as Django would show it
        try:
            text = db.ops.compose_sql(statement, params)  # type: ignore[attr-defined]
        except psycopg.DataError:
            text = statement
    db.queries_log.append({"sql": text, "time": f"{duration:.3f}"})
    _backends_log.debug("(%.3f) %s; args=%s; alias=%s", duration, text, params, db.alias,
                        extra={"duration": duration, "sql": text, "params": params,
                               "alias": db.alias})


def values(statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of a SELECT of plain values (a count, one column), as the driver gives
    them: no model instances to build."""
    return _run(statement, params)[1]


def execute(statement: str, params: Sequence[Any] = ()) -> int:
    """Run one statement (an UPDATE, say) the same way; returns the row count."""
    return _run(statement, params)[2]


def table(model: type[models.Model]) -> str:
    return _db().ops.quote_name(model._meta.db_table)


def fetch(model: type[M], sql: str, params: Sequence[Any] = ()) -> list[M]:
    """Model instances for a SELECT of all the model's columns (``SELECT t.* ...``).

    What ``Manager.raw`` does, with the column order and converters worked out once per
    model and column list rather than on every query.
    """
    db = _db()
    columns, rows, _, _ = _run(sql, params)
    order, converters, attnames = _reading(db, model, columns)
    found = []
    for row in rows:
        values = [row[i] for i in order]
        for position, functions, expression in converters:
            for function in functions:
                values[position] = function(values[position], expression, db)
        found.append(model.from_db(db.alias, attnames, values))
    return found


def vendor() -> str:
    return _db().vendor


_COLUMNS: dict[tuple[type[models.Model], str, str], str] = {}


def columns(model: type[models.Model], alias: str) -> str:
    """``alias.*`` written out: the model's own columns of the table named ``alias`` in
    the statement, in the model's order, for a ``fetch_joined`` SELECT.

    Never ``alias.*`` there: ``fetch_joined`` finds each model's columns by their
    number, so one column more in the table than the running code knows (a release's
    migration while the app servers not yet restarted still serve, a tool's column)
    shifted every model after it and failed every API request, the token check
    included (attack review 2026-12-attack2-scale, finding 1).  Only names from the
    model's metadata go into the text."""
    db = _db()
    key = (model, alias, db.vendor)
    if key not in _COLUMNS:
        quote = db.ops.quote_name
        _COLUMNS[key] = ", ".join(f"{alias}.{quote(str(field.column))}"
                                  for field in model._meta.concrete_fields)
    return _COLUMNS[key]


def fetch_joined(models_: Sequence[type[models.Model]], sql: str, params: Sequence[Any] = (),
                 *, extra: int = 0, optional: Iterable[int] = ()) -> list[tuple[Any, ...]]:
    """One instance of each model per row of a join that SELECTs all the columns of
    each, in that order (``SELECT {columns(A, "a")}, {columns(B, "b")} FROM a JOIN b …``,
    never ``a.*``: ``columns`` says why): one round trip where
    ``fetch`` twice would take two (on PostgreSQL each is a wait for the server and a
    statement for it to run: docs/benchmarks.md, "PostgreSQL: intake at its causes").
    ``extra`` more columns may follow the models' (a subquery's value): each row's
    tuple then ends with them, as the driver gives them.  ``optional``: the positions
    of the models that are LEFT JOINed: where a row has none (its primary key NULL)
    their place holds None, and no instance is built for it."""
    db = _db()
    columns, rows, _, _ = _run(sql, params)
    if db.vendor == "sqlite":
        # SQLite names a repeated column of a parenthesised join "name:1", "name:2"
        # (``lookups.report_lookups``); no column of ours has a colon.
        columns = tuple(column.partition(":")[0] for column in columns)
    if extra:
        columns = columns[:-extra]
    readings = []
    start = 0
    optional = set(optional)
    for position, model in enumerate(models_):
        width = len(model._meta.concrete_fields)
        order, converters, attnames = _reading(db, model, columns[start:start + width])
        # Where the model's primary key is in the row, if it may be missing (else -1).
        pk = (start + order[[f.primary_key for f in model._meta.concrete_fields].index(True)]
              if position in optional else -1)
        readings.append((start, model, order, converters, attnames, pk))
        start += width
    if start != len(columns):
        raise ValueError(f"the SELECT has {len(columns)} columns, the models {start}")
    found = []
    for row in rows:
        instances: list[Any] = []
        for offset, model, order, converters, attnames, pk in readings:
            if pk >= 0 and row[pk] is None:
                instances.append(None)
                continue
            values = [row[offset + i] for i in order]
            for position, functions, expression in converters:
                for function in functions:
                    values[position] = function(values[position], expression, db)
            instances.append(model.from_db(db.alias, attnames, values))
        if extra:
            instances.extend(row[len(columns):])
        found.append(tuple(instances))
    return found


def fetch_first(model: type[M], sql: str, params: Sequence[Any] = ()) -> M | None:
    found = fetch(model, sql, params)
    return found[0] if found else None


Converter = tuple[int, list[Any], Any]
Reading = tuple[list[int], list[Converter], list[str]]
_READINGS: dict[tuple[type[models.Model], str, tuple[str, ...]], Reading] = {}


def _reading(db: BaseDatabaseWrapper, model: type[models.Model], columns: tuple[str, ...]
             ) -> Reading:
    """Where each of the model's fields is among ``columns``, and its converters."""
    key = (model, db.vendor, columns)
    if key not in _READINGS:
        index = {name: i for i, name in enumerate(columns)}
        fields = model._meta.concrete_fields
        missing = [f.column for f in fields if f.column not in index]
        if missing:
            raise ValueError(f"{model.__name__}: the SELECT lacks columns {missing}")
        converters: list[Converter] = []
        for position, field in enumerate(fields):
            expression = field.get_col(model._meta.db_table)
            functions = [*db.ops.get_db_converters(expression),
                         *field.get_db_converters(db)]
            if functions:
                converters.append((position, functions, expression))
        _READINGS[key] = ([index[str(f.column)] for f in fields], converters,
                          [f.attname for f in fields])
    return _READINGS[key]


def by_ids(model: type[M], ids: Iterable[int]) -> dict[int, M]:
    """``{pk: instance}`` for these primary keys, in one query.

    An id no column can hold (below 1, past 64 bits) matches nothing: the driver would
    fail on it rather than find no row.
    """
    wanted = sorted({pk for pk in ids if 1 <= pk <= ID_MAX})
    if not wanted:
        return {}
    marks = ", ".join(["%s"] * len(wanted))
    pk = _db().ops.quote_name(model._meta.pk.column or "id")
    # Only names from the model's own metadata and %s marks go into the text.
    query = f"SELECT * FROM {table(model)} WHERE {pk} IN ({marks})"  # noqa: S608
    rows = fetch(model, query, wanted)
    return {row.pk: row for row in rows}


def attach(instance: models.Model, field_name: str, related: models.Model | None) -> None:
    """Set a loaded foreign-key object on ``instance`` as ``select_related`` would."""
    field = instance._meta.get_field(field_name)
    field.set_cached_value(instance, related)  # type: ignore[union-attr]


def db_datetime(value: datetime.datetime) -> Any:
    """A datetime as this database's column stores it (naive UTC text on SQLite)."""
    return _db().ops.adapt_datetimefield_value(value)


# --- writes -------------------------------------------------------------------------------

_INSERTS: dict[tuple[type[models.Model], str, bool, int, str | None],
               tuple[str, list[models.Field[Any, Any]]]] = {}


def _insert_statement(
    db: BaseDatabaseWrapper, model: type[models.Model], skip_conflicts: bool, rows: int,
    match: str | None,
) -> tuple[str, list[models.Field[Any, Any]]]:
    """The INSERT for ``rows`` rows: ``RETURNING`` the primary key (and ``match``'s
    column, if given); ``match`` None: no ``RETURNING`` at all (the row count is the
    cursor's)."""
    key = (model, db.vendor, skip_conflicts, rows, match)
    if key not in _INSERTS:
        quote = db.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.auto_created
                  and not (f.primary_key and f.db_returning)]
        columns = ", ".join(quote(str(f.column)) for f in fields)
        marks = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * rows)
        conflict = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
        returning = ""
        if match is not None:
            returning = " RETURNING " + quote(model._meta.pk.column or "id")
        if match:
            returning += ", " + quote(str(model._meta.get_field(match).column))  # type: ignore[union-attr]
        # Only names from the model's own metadata and %s marks go into the text.
        statement = (f"INSERT INTO {table(model)} ({columns}) VALUES {marks}"  # noqa: S608
                     f"{conflict}{returning}")
        _INSERTS[key] = (statement, fields)
    return _INSERTS[key]


def _refuse_receivers(model: type[models.Model]) -> None:
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        # A receiver would silently not run: use save() for such a model.
        raise ValueError(f"{model.__name__} has save signal receivers; use save()")


def _stored(instance: models.Model, pk: Any, alias: str) -> None:
    instance.pk = pk
    instance._state.adding, instance._state.db = False, alias
    given: list[models.Model] | None = getattr(_keys_given, "instances", None)
    if given is not None:
        given.append(instance)


_keys_given = threading.local()


@contextlib.contextmanager
def keys_taken_back_on_failure() -> Iterator[None]:
    """Instances that ``insert`` or ``insert_many`` give a primary key inside this block
    lose it again (unsaved, as before) if the block raises: what gave them the key is
    rolled back with it, and whoever stores them next must get keys of its own.

    The group-commit writer stores a batch's requests together, and when that fails
    (a key taken, the connection lost) each request's own work stores the same
    instances again, in a new transaction.  An instance left with the key of the
    rolled-back INSERT was inserted under it: after a failover the promoted standby's
    sequence, which never saw that INSERT, hands the same key to another report, and
    the retry's INSERT met it on each of its attempts (``IntegrityError``: a 500 in the
    failover drill; tests/test_lost_connection.py)."""
    outer: list[models.Model] | None = getattr(_keys_given, "instances", None)
    given: list[models.Model] = []
    _keys_given.instances = given
    try:
        yield
    except BaseException:
        for instance in given:
            instance.pk = None
            instance._state.adding, instance._state.db = True, None
        raise
    finally:
        _keys_given.instances = outer
    if outer is not None:  # an enclosing block's failure takes them back too
        outer.extend(given)


def insert(instance: models.Model, *, skip_conflicts: bool = False) -> bool:
    """INSERT one instance with a statement built once per model; sets its primary key.

    The same values as ``save(force_insert=True)`` (each field's ``pre_save`` and
    ``get_db_prep_save``), without compiling a query each time and without the
    ``pre_save``/``post_save`` signals: a model that has receivers is refused.
    ``skip_conflicts``: a row that would break a unique constraint is not inserted
    (``ON CONFLICT DO NOTHING``, no savepoint needed) and False is returned.
    """
    model = type(instance)
    _refuse_receivers(model)
    db = _db()
    statement, _ = _insert_statement(db, model, skip_conflicts, 1, "")
    _, rows, _, _ = _run(statement, row_values(instance))
    if not rows:
        return False
    _stored(instance, rows[0][0], db.alias)
    return True


# Field classes (exactly these, not subclasses) whose ``pre_save`` reads the attribute
# and whose ``get_db_prep_save`` gives back unchanged a value of these exact types, and
# None as None: Django's text, integer and boolean fields (their ``get_prep_value`` is
# ``str``/``int``/``bool`` of the value; the backends adapt neither on SQLite nor on
# PostgreSQL).  An integer foreign key to an automatic key likewise.
_PLAIN_TYPES: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str, models.TextField: str, models.SlugField: str,
    models.IntegerField: int, models.BigIntegerField: int, models.SmallIntegerField: int,
    models.PositiveIntegerField: int, models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int, models.BooleanField: bool,
}
_AUTO_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)
_ROWS: dict[tuple[type[models.Model], str],
            list[tuple[models.Field[Any, Any], str, type | None]]] = {}


def _plain_type(db: BaseDatabaseWrapper, field: models.Field[Any, Any]) -> type | None:
    """The type whose values ``field`` saves as they are (``_PLAIN_TYPES``), or None."""
    if db.vendor not in ("sqlite", "postgresql"):
        return None
    if type(field) is models.ForeignKey:
        target = field.target_field
        return int if type(target) in _AUTO_KEYS else None
    return _PLAIN_TYPES.get(type(field))


def row_values(instance: models.Model) -> list[Any]:
    """The values ``insert`` sends for this instance; ``insert_many`` takes them worked
    out ahead (``rows``), outside the shared write transaction where time is serial.

    Each field's ``get_db_prep_save(pre_save(…))``, as ``save()`` computes it; a value
    that a plain field saves unchanged (``_plain_type``: a ``str`` in a text field, an
    ``int`` in an integer field, None) is taken as it is, without the calls (most of a
    check-in's columns: the field API's hot path)."""
    db = _db()
    key = (type(instance), db.vendor)
    plan = _ROWS.get(key)
    if plan is None:
        _, fields = _insert_statement(db, type(instance), False, 1, "")
        plan = _ROWS[key] = [(f, f.attname, _plain_type(db, f)) for f in fields]
    values = []
    for f, attname, plain in plan:
        if plain is not None:
            value = getattr(instance, attname)
            if value is None or type(value) is plain:
                values.append(value)
                continue
        values.append(f.get_db_prep_save(f.pre_save(instance, add=True), db))
    return values


def row_position(model: type[models.Model], name: str) -> int:
    """Where the field ``name`` is in ``row_values`` (to put one value in late)."""
    _, fields = _insert_statement(_db(), model, False, 1, "")
    return next(i for i, f in enumerate(fields) if f.name == name)


def insert_many(instances: Sequence[models.Model], *, match: str = "",
                skip_conflicts: bool = False,
                rows: Sequence[Sequence[Any]] | None = None) -> int:
    """INSERT instances of one model in ONE statement; returns how many rows went in.

    ``insert`` for many rows: where a shared write transaction is the bottleneck, each
    statement costs a round through the database driver (and, in a threaded server, a
    wait to get Python's GIL back), so a batch's rows go together.  ``match`` names a
    unique field whose value tells which stored row is which instance (the order of
    ``RETURNING`` rows is not defined); each stored instance gets its primary key.
    Without ``match`` only the count is known and the instances get no key.  ``rows``:
    each instance's ``row_values``, if worked out already (the instances must not have
    changed since).

    No ``RETURNING`` on SQLite (nor without ``match`` anywhere): the driver hands each
    returned row over in a call of its own that lets go of Python's GIL, and in the
    group-commit writer's turn each of those is a wait to get it back from the request
    threads (docs/intake-load.md, "Election-day check-ins").  On SQLite the keys are
    then the statement's last rowid and the ones before it, when every row went in:
    SQLite numbers the rows of one INSERT one after another, in the order of VALUES
    (one larger than the largest rowid so far, AUTOINCREMENT or not), and it has one
    writer at a time.
    """
    if not instances:
        return 0
    model = type(instances[0])
    if any(type(instance) is not model for instance in instances):
        raise ValueError("insert_many takes instances of one model")
    _refuse_receivers(model)
    db = _db()
    numbered = bool(match) and _numbered_rowids(db, model)
    returning = match if match and not numbered else None
    statement, fields = _insert_statement(db, model, skip_conflicts, len(instances),
                                          returning)
    if rows is None:
        rows = [row_values(instance) for instance in instances]
    elif len(rows) != len(instances) or any(len(row) != len(fields) for row in rows):
        raise ValueError("rows must hold one row_values() per instance")
    params = [value for row in rows for value in row]
    _, stored, count, last = _run(statement, params)
    if returning is None:
        if numbered and count == len(instances):
            for offset, instance in enumerate(instances, start=1 - count):
                _stored(instance, last + offset, db.alias)
        elif numbered and count:
            # Some rows were skipped (a conflict): the ones that went in are still the
            # last ``count`` rowids; which is which, by ``match`` (rare: one more read).
            pk = db.ops.quote_name(model._meta.pk.column or "id")
            column = db.ops.quote_name(str(model._meta.get_field(match).column))  # type: ignore[union-attr]
            stored = values(f"SELECT {pk}, {column} FROM {table(model)}"  # noqa: S608
                            f" WHERE {pk} BETWEEN %s AND %s", [last - count + 1, last])
            _match(model, instances, stored, match, db.alias)
        return count
    if match:
        _match(model, instances, stored, match, db.alias)
    return len(stored)


def _match(model: type[models.Model], instances: Sequence[models.Model],
           stored: Sequence[tuple[Any, ...]], match: str, alias: str) -> None:
    """Give each instance its stored row's key: ``stored`` holds (key, ``match``'s value)."""
    attname = model._meta.get_field(match).attname  # type: ignore[union-attr]
    by_value = {getattr(instance, attname): instance for instance in instances}
    for pk, value in stored:
        _stored(by_value[value], pk, alias)


def _numbered_rowids(db: BaseDatabaseWrapper, model: type[models.Model]) -> bool:
    """Whether a multi-row INSERT's keys can be told from its last rowid: SQLite, and a
    primary key that is the rowid (an auto-incremented integer)."""
    return db.vendor == "sqlite" and isinstance(model._meta.pk, models.fields.AutoFieldMixin)


def update(instance: models.Model, names: Sequence[str]) -> None:
    """UPDATE these fields of a stored instance (``save(update_fields=…)`` without the ORM)."""
    db = _db()
    quote = db.ops.quote_name
    fields = [instance._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    params = [f.get_db_prep_save(getattr(instance, f.attname), db)  # type: ignore[union-attr]
              for f in fields]
    pk = quote(instance._meta.pk.column or "id")
    execute(f"UPDATE {table(type(instance))} SET {assignments} WHERE {pk} = %s",  # noqa: S608
            [*params, instance.pk])
