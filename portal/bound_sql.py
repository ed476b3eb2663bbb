"""Conditions compiled to SQL once per process, with their values bound at each use.

The access policy's conditions are large trees (a report's audience, its versions'
audiences, good standing, named people), and Django builds and compiles such a tree again
for every query that contains it: on a report page that was about half of the request's
time, spent producing the same SQL with different ids in it. A `ConditionTemplate` builds
the tree once per process and database vendor for each *shape* (the yes/no facts that
change the tree, such as "is an organisation admin"), with unmistakable stand-in values in
the places of the *values* (ids, the time), compiles it, and remembers which parameters
were those stand-ins. Each use then only puts the real values in their places.

The result, `BoundCondition`, is a boolean expression over the template's model that may be
used wherever a `Q` over that model could: in `filter()`, `exclude()`, inside `Exists`, in a
query that Django later embeds as a subquery. Two things make that safe:

- the SQL refers to the row's own table through a marker that is replaced, when the query is
  compiled, by whatever alias Django gave that table there (a subquery's `U0`, say), the way
  Django relabels its own column references;
- the template's own subqueries had Django's usual aliases (`U0`, `V0`, ...), which an
  enclosing query may also use; they are renamed to aliases of their own (`bsql_U0`), so a
  reference from inside the template can never be captured by a table of the query around
  it, nor the other way round.

With `settings.BOUND_SQL_CHECK` on (the test suite turns it on), every binding is compared
with a fresh build and compile of the same tree with the real values, and a difference
raises: the binding can never silently say something other than the policy's own code.
"""

import re
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, Expression, Model, Q

# Stand-ins for values: far outside the ids this database hands out and outside any real
# time, and never equal to a constant the policy's conditions contain (statuses, labels,
# booleans).
_INT_STAND_IN_BASE = 2_146_000_000
_TIME_STAND_IN_BASE = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)

# The table's own rows are written as this marker, replaced by the real alias when compiled.
_BASE = "\x00base\x00"
# Django's subquery aliases: one or two capital letters and a number (U0, V1, AA0).
_SUBQUERY_ALIAS = re.compile(r"(?<![\w\"])([A-Z]{1,2}\d+)(?![\w\"])")
_RENAMED_PREFIX = "bsql_"

Value = int | datetime
Build = Callable[[Any, Mapping[str, Any]], Q]


class Mismatch(AssertionError):
    """A bound condition differed from the condition built afresh (BOUND_SQL_CHECK)."""


@dataclass(frozen=True)
class _Slot:
    name: str
    adapt: Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str  # with _BASE for the row's own table and renamed subquery aliases
    params: tuple[Any, ...]  # constants, and _Slot where a value goes


class ConditionTemplate:
    """One condition over `model`, built by `build(shape, values)` for each shape.

    `build` receives the shape and a mapping of the value names (`ints`, `times`) to values
    (stand-ins when compiling; None for a value the shape does not use) and must use them
    only as values of lookups (ids compared with `=`, times with `>`): anything that changes
    the *tree* belongs in the shape, which must be hashable.
    """

    def __init__(
        self, model: type[Model], build: Build, *, ints: Sequence[str], times: Sequence[str] = ()
    ) -> None:
        self.model = model
        self.build = build
        self.ints = tuple(ints)
        self.times = tuple(times)
        self._compiled: dict[Hashable, _Compiled] = {}
        self._lock = threading.Lock()

    def bind(self, shape: Hashable, values: Mapping[str, Value | None]) -> "BoundCondition":
        """The condition for this shape with these values, compiled at most once."""
        if set(values) != {*self.ints, *self.times}:
            raise ValueError(
                f"values for {sorted(values)}, the template needs {self.ints + self.times}"
            )
        connection = connections[DEFAULT_DB_ALIAS]
        unused = frozenset(name for name, value in values.items() if value is None)
        key = (connection.vendor, shape, unused)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(shape, unused)
                self._compiled[key] = compiled
        params = tuple(
            param.adapt(values[param.name]) if isinstance(param, _Slot) else param
            for param in compiled.params
        )
        bound = BoundCondition(self.model, compiled.sql, params)
        if getattr(settings, "BOUND_SQL_CHECK", False):
            self._check(bound, shape, values)
        return bound

    def _compile(self, shape: Hashable, unused: frozenset[str]) -> _Compiled:
        connection = connections[DEFAULT_DB_ALIAS]
        stand_ins: dict[str, Value | None] = dict.fromkeys(unused)
        slots: dict[Any, _Slot] = {}
        for n, name in enumerate(self.ints):
            if name in unused:
                continue
            value = _INT_STAND_IN_BASE + n
            stand_ins[name] = value
            slots[value] = _Slot(name, int)
        for n, name in enumerate(self.times):
            if name in unused:
                continue
            moment = _TIME_STAND_IN_BASE + timedelta(microseconds=n + 1)
            stand_ins[name] = moment
            adapt = connection.ops.adapt_datetimefield_value
            slots[moment] = _Slot(name, lambda value: value)
            adapted = adapt(moment)
            if adapted != moment:
                slots[adapted] = _Slot(name, adapt)
        sql, params = self._where_sql(shape, stand_ins)
        found = {slots[param].name for param in params if _hashable(param) and param in slots}
        missing = {name for name, value in stand_ins.items() if value is not None} - found
        if missing:
            raise ValueError(f"the condition does not use {sorted(missing)} as values")
        return _Compiled(
            sql=sql,
            params=tuple(slots[p] if _hashable(p) and p in slots else p for p in params),
        )

    def _where_sql(self, shape: Hashable, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The condition's WHERE clause at the top level of a query over the model, with the
        table's own name replaced by the marker and subquery aliases renamed."""
        connection = connections[DEFAULT_DB_ALIAS]
        query = self.model._default_manager.filter(self.build(shape, values)).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.compile(query.where)
        table = self.model._meta.db_table
        used = [alias for alias, count in query.alias_refcount.items() if count]
        if used != [table]:
            # A join would need its own alias in every enclosing query: write the condition
            # with Exists over the related table instead.
            raise ValueError(f"a template condition may not join other tables ({used})")
        quoted = connection.ops.quote_name(table)
        if re.search(re.escape(quoted) + r"(?!\.)", sql):
            raise ValueError(f"{quoted} appears other than as the row's own columns")
        sql = sql.replace(f"{quoted}.", f"{_BASE}.")
        sql = _SUBQUERY_ALIAS.sub(lambda match: _RENAMED_PREFIX + match.group(1), sql)
        return sql, list(params)

    def _check(
        self, bound: "BoundCondition", shape: Hashable, values: Mapping[str, Value | None]
    ) -> None:
        sql, params = self._where_sql(shape, values)
        if (sql, tuple(params)) != (bound.sql, bound.params):
            raise Mismatch(
                f"bound condition differs from a fresh build:\n{bound.sql}\n{bound.params}\n"
                f"{sql}\n{tuple(params)}"
            )


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class BoundCondition(Expression):
    """A compiled condition over the rows of `model`, usable like a `Q` over that model."""

    conditional = True
    contains_aggregate = False
    contains_over_clause = False

    def __init__(
        self, model: type[Model], sql: str, params: tuple[Any, ...], alias: str | None = None
    ) -> None:
        super().__init__(output_field=BooleanField())
        self.model = model
        self.sql = sql
        self.params = params
        self.alias = alias

    def __repr__(self) -> str:
        return f"<BoundCondition on {self.model.__name__} as {self.alias}>"

    def resolve_expression(
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: Any = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> "BoundCondition":
        clone = self.copy()
        # Resolved once, in the query over its own model; a query that later embeds that one
        # (Exists, __in) resolves it again with itself as `query`, and relabels it instead.
        if query is not None and clone.alias is None:
            if query.model._meta.db_table != self.model._meta.db_table:
                raise TypeError(f"{self!r} used in a query over {query.model.__name__}")
            clone.alias = query.get_initial_alias()
        return clone

    def relabeled_clone(self, change_map: Mapping[str, str]) -> "BoundCondition":
        clone = self.copy()
        if clone.alias is not None:
            clone.alias = change_map.get(clone.alias, clone.alias)
        return clone

    def get_source_expressions(self) -> list[Any]:
        return []

    def get_group_by_cols(self) -> list[Any]:
        return []

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if self.alias is None:
            raise TypeError(f"{self!r} was compiled outside a query")
        alias = compiler.quote_name_unless_alias(self.alias)
        return f"({self.sql.replace(_BASE, alias)})", self.params
