"""Many rows in one statement, values prepared once per column instead of per value.

The ORM compiles every value of every row through several generic layers; for the applier's
wide rows (a Message has 42 columns) that was a third of its time. Here each column gets one
preparer, chosen once: values that need no conversion (str, int, bool, float or None in the
columns that hold them) pass straight through; aware datetimes and JSON values go straight to
the backend's adapter, which is where the ORM's layers end for them; anything else goes
through the field's own ``get_db_prep_save``, exactly as the ORM would. ``auto_now`` and
``auto_now_add`` columns take one "now" per statement. Table and column names come from the
model's metadata; values are always parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "TextField": (str,),
    "BooleanField": (bool,),
    "IntegerField": (int,),
    "BigIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "SmallIntegerField": (int,),
    "FloatField": (float, int),
}
_INTEGER_KEYS = ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField")


def _insert_parts(
    model: type[models.Model], on_conflict: OnConflict | None = None
) -> tuple[list[models.Field], list[Callable[[models.Model], Any]], str, str]:
    """The columns of an INSERT, their preparers, ``INSERT ... (columns) VALUES `` and one
    row's placeholders. Names come from the model's metadata; values are always parameters."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.auto_created]
    now = timezone.now()
    ops = connection.ops
    head = "{} {} ({}) VALUES ".format(
        ops.insert_statement(on_conflict=on_conflict),
        ops.quote_name(meta.db_table),
        ", ".join(ops.quote_name(f.column) for f in fields),
    )
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return fields, [_preparer(f, adding=True, now=now) for f in fields], head, placeholders


def insert_ignoring_conflicts(model: type[models.Model], objs: list[models.Model]) -> None:
    """``bulk_create(objs, ignore_conflicts=True)``: rows whose unique key exists are skipped
    by the database (``INSERT OR IGNORE`` / ``ON CONFLICT DO NOTHING``)."""
    if not objs:
        return
    fields, preparers, head, placeholders = _insert_parts(model, OnConflict.IGNORE)
    tail = connection.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    # One statement, many parameter rows: both drivers prepare it once (psycopg pipelines the
    # rows; a multi-row VALUES of 10,000 placeholders made it re-parse the text every time).
    with connection.cursor() as cursor:
        cursor.executemany(
            head + placeholders + " " + tail,
            [[prepare(obj) for prepare in preparers] for obj in objs],
        )


def insert_returning_keys(model: type[models.Model], objs: list[models.Model]) -> None:
    """``bulk_create(objs)``: multi-row ``INSERT ... RETURNING`` the primary keys, which are set
    on the objects (as saved rows). For the writer's batches of raw events: outside a
    transaction, a batch that fits one statement is committed by that statement alone (one
    round trip to the server instead of BEGIN, INSERT, COMMIT)."""
    if not objs:
        return
    if not connection.features.can_return_rows_from_bulk_insert:
        model._default_manager.bulk_create(objs)
        return
    fields, preparers, head, placeholders = _insert_parts(model)
    ops = connection.ops
    returning, returning_params = ops.return_insert_columns([model._meta.pk])
    size = max(1, ops.bulk_batch_size(fields, objs))
    chunks = [objs[start : start + size] for start in range(0, len(objs), size)]
    atomic = transaction.atomic() if len(chunks) > 1 else contextlib.nullcontext()
    with atomic, connection.cursor() as cursor:
        for chunk in chunks:
            sql = head + ", ".join([placeholders] * len(chunk)) + " " + returning
            params = [prepare(obj) for obj in chunk for prepare in preparers]
            cursor.execute(sql, params + list(returning_params))
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias


def update_rows(model: type[models.Model], rows: list, fields: list[str]) -> None:
    """One UPDATE statement executed for many rows (executemany)."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    now = timezone.now()
    preparers = [_preparer(f, adding=False, now=now) for f in columns]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in columns),
        quote(meta.pk.column),
    )
    params = [[prepare(row) for prepare in preparers] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _preparer(field: models.Field, *, adding: bool, now: datetime) -> Callable[[models.Model], Any]:
    attname = field.attname
    if getattr(field, "auto_now", False) or (adding and getattr(field, "auto_now_add", False)):
        prepared_now = field.get_db_prep_save(now, connection)

        def stamp(obj: models.Model) -> Any:  # what pre_save does, one "now" per statement
            setattr(obj, attname, now)
            return prepared_now

        return stamp
    kind = field.get_internal_type()
    plain = _PLAIN_TYPES.get(kind)
    if kind == "ForeignKey" and field.target_field.get_internal_type() in _INTEGER_KEYS:
        plain = (int,)
    ops = connection.ops
    if kind == "DateTimeField":
        adapt_datetime = ops.adapt_datetimefield_value

        def prepare_datetime(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value is None:
                return None
            if type(value) is datetime and value.tzinfo is not None:
                return adapt_datetime(value)
            return field.get_db_prep_save(value, connection)

        return prepare_datetime
    if kind == "JSONField":
        adapt_json, encoder = ops.adapt_json_value, field.encoder

        def prepare_json(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value is None:
                return None
            if type(value) in _JSON_TYPES:
                return adapt_json(value, encoder)
            return field.get_db_prep_save(value, connection)

        return prepare_json

    def prepare(obj: models.Model) -> Any:
        value = getattr(obj, attname)
        if value is None or (plain is not None and type(value) in plain):
            return value
        return field.get_db_prep_save(value, connection)

    return prepare


_JSON_TYPES = (dict, list, str, int, float, bool)
