"""What the SQL explorer accepts: one read-only query over the marts, checked before it runs.

The check is an allow-list, the first of two walls. The statement is parsed (sqlglot, in the
warehouse's dialect) and refused unless it is a single SELECT / set operation / VALUES in which

- every table is a table of the ``analytics`` schema or one of the query's own CTEs,
- every function call is one of ``PURE_FUNCTIONS``: functions of their arguments only, that
  take no SQL text, no path or URL and no table name, and read no file, setting, sequence,
  variable or other server,
- every type a value is cast to is a plain data type (``ALLOWED_TYPES``; no ``regclass``-like
  lookup types), and
- no node is a write, DDL, ``PRAGMA``, ``SET``, ``INTO`` or locking clause.

Anything sqlglot does not know, or knows as something not on the list, is refused: a new
engine function is unreachable until it is added here. docs/security.md says why these rules are
complete. The second wall is how the query runs (``queries.run_explorer_query``): on DuckDB a
connection of its own, external access off and configuration locked; on PostgreSQL a role that
may only SELECT from ``analytics``, in a read-only transaction with a statement timeout.
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from storeboard.errors import StoreboardError


class QueryRefused(StoreboardError):
    """The SQL explorer will not run this statement."""


#: functions of their arguments only (scalar, aggregate, window, and the number-series table
#: functions), as a user types them in DuckDB or PostgreSQL. Nothing here takes SQL text, a
#: path, a URL or a table name, or reads settings, variables, sequences or the environment.
PURE_FUNCTIONS = (
    # aggregates
    "count", "sum", "avg", "mean", "min", "max", "any_value", "arbitrary", "first", "last", "arg_min", "arg_max",
    "argmin", "argmax", "min_by", "max_by", "bool_and", "bool_or", "every", "bit_and", "bit_or", "string_agg",
    "group_concat", "listagg", "array_agg", "list", "histogram", "median", "mode", "quantile", "quantile_cont",
    "quantile_disc", "percentile_cont", "percentile_disc", "approx_count_distinct", "approx_quantile", "count_if",
    "countif", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "corr", "covar_pop",
    "covar_samp", "regr_slope", "regr_intercept", "regr_r2", "regr_count", "product", "fsum", "kurtosis", "skewness",
    "entropy", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "json_group_array",
    "json_group_object",
    # window
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
    "last_value", "nth_value",
    # numbers
    "abs", "round", "round_even", "ceil", "ceiling", "floor", "trunc", "sign", "sqrt", "cbrt", "power", "pow", "exp",
    "ln", "log", "log10", "log2", "mod", "div", "greatest", "least", "pi", "degrees", "radians", "sin", "cos", "tan",
    "asin", "acos", "atan", "atan2", "isnan", "isinf", "isfinite", "factorial", "gcd", "lcm", "width_bucket",
    "even", "bit_count", "xor", "to_hex", "hex",
    # text
    "lower", "upper", "lcase", "ucase", "length", "len", "char_length", "character_length", "octet_length",
    "bit_length", "strlen", "concat", "concat_ws", "substring", "substr", "left", "right", "trim", "ltrim", "rtrim",
    "btrim", "replace", "translate", "split_part", "string_split", "str_split", "string_to_array", "strpos",
    "instr", "position", "starts_with", "ends_with", "prefix", "suffix", "contains", "like_escape", "lpad",
    "rpad", "reverse", "repeat", "initcap", "ascii", "chr", "md5", "sha1", "sha256", "hash", "format", "printf",
    "regexp_matches", "regexp_full_match", "regexp_replace", "regexp_extract", "regexp_extract_all",
    "regexp_split_to_array", "regexp_like", "regexp_count", "regexp_substr", "levenshtein", "jaro_winkler_similarity",
    "damerau_levenshtein", "hamming", "jaccard", "to_base64", "from_base64", "encode", "decode", "quote_ident",
    "quote_literal", "unicode", "nfc_normalize", "strip_accents", "array_to_string", "array_join", "list_aggregate",
    "overlay",
    # dates and times
    "now", "current_date", "current_timestamp", "current_time", "localtimestamp", "localtime", "today",
    "date_trunc", "datetrunc", "date_part", "datepart", "extract", "date_diff", "datediff", "date_sub", "date_add",
    "dateadd", "age", "make_date", "make_time", "make_timestamp", "make_interval", "strftime", "strptime",
    "try_strptime", "to_char", "to_date", "to_timestamp", "epoch", "epoch_ms", "year", "month", "day", "hour",
    "minute", "second", "week", "weekofyear", "quarter", "dayofweek", "dayofyear", "dayofmonth", "isodow",
    "isoyear", "yearweek", "dayname", "monthname", "last_day", "time_bucket", "date_bin", "justify_days",
    "justify_hours", "justify_interval", "to_days", "to_months", "to_years", "to_hours", "to_minutes",
    "to_seconds", "to_weeks", "timezone", "isfinite",
    # conditionals and casts
    "coalesce", "nullif", "ifnull", "nvl", "if", "iff", "iif", "cast", "try_cast", "typeof", "pg_typeof",
    # lists, structs, maps, JSON values
    "array_length", "cardinality", "array_position", "array_contains", "list_contains", "list_has",
    "array_has", "list_position", "list_extract", "list_element", "array_extract", "list_slice", "array_slice",
    "list_sort", "array_sort", "list_reverse_sort", "list_distinct", "array_distinct", "list_unique",
    "list_concat", "array_concat", "array_cat", "array_append", "array_prepend", "list_append", "list_prepend",
    "list_value", "list_pack", "array_value", "list_filter", "array_filter", "list_transform", "array_transform",
    "list_apply", "array_apply", "list_reduce", "array_reduce", "list_sum", "list_min", "list_max", "list_avg",
    "list_count", "flatten", "array_remove", "array_upper", "array_lower", "array_dims", "array_ndims",
    "struct_pack", "struct_extract", "row", "struct_insert", "map", "map_extract", "map_keys", "map_values",
    "element_at", "json_extract", "json_extract_string", "json_extract_path", "json_extract_path_text",
    "jsonb_extract_path", "jsonb_extract_path_text", "json_value", "json_array_length", "jsonb_array_length",
    "json_keys", "json_object_keys", "jsonb_object_keys", "json_type", "jsonb_typeof", "json_typeof",
    "json_valid", "json_object", "jsonb_build_object", "json_build_object", "json_array", "json_build_array",
    "jsonb_build_array", "to_json", "to_jsonb", "array_to_json", "row_to_json", "json_array_elements",
    "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text", "json_each", "jsonb_each",
    "json_each_text", "jsonb_each_text", "json_contains", "json_exists", "json_structure",
    # number series and unnesting (table functions of their arguments only)
    "unnest", "generate_series", "range",
)
#: special forms whose arguments are not a plain list (sqlglot parses them differently)
_SPECIAL_FORMS = ("extract(year from d)", "trim(both 'x' from s)", "substring(s from 1 for 2)", "position('a' in s)",
                  "overlay(s placing 'x' from 1 for 2)", "cast(x as int)", "try_cast(x as int)",
                  "percentile_cont(0.5) within group (order by x)", "percentile_disc(0.5) within group (order by x)",
                  "mode() within group (order by x)", "string_agg(s, ',' order by s)", "array_agg(x order by x)",
                  "count(distinct x)", "case when x then 1 end", "x between 1 and 2", "[1, 2]", "{'a': 1}",
                  "array[1, 2]", "x -> 'a'", "x ->> 'a'", "x #>> '{a}'", "s || 't'", "x[1]", "x[1:2]",
                  "list_transform(l, y -> y + 1)", "count(*) filter (where x > 1)", "current_date",
                  "current_timestamp", "current_time", "localtimestamp", "date '2026-01-01' + interval 1 day",
                  "interval '1 day'", "x is distinct from y", "x similar to 'a%'", "x ilike 'a%'")

#: data types a value may be cast to; lookup types (``regclass``, ``regproc``, ``oid`` …) are not
ALLOWED_TYPES = {getattr(exp.DataType.Type, name) for name in (
    "BIGINT", "INT", "SMALLINT", "TINYINT", "INT128", "UBIGINT", "UINT", "USMALLINT", "UTINYINT", "UINT128",
    "DECIMAL", "DOUBLE", "FLOAT", "BOOLEAN", "TEXT", "VARCHAR", "CHAR", "NCHAR", "NVARCHAR", "BPCHAR", "DATE",
    "TIME", "TIMETZ", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPNTZ", "TIMESTAMPLTZ", "TIMESTAMP_S", "TIMESTAMP_MS",
    "TIMESTAMP_NS", "INTERVAL", "JSON", "JSONB", "UUID", "ARRAY", "LIST", "STRUCT", "MAP", "VARBINARY", "BLOB",
    "BINARY", "BIT", "MONEY", "NULL", "UNKNOWN",
)}
#: the statement kinds that may be the whole query
_ALLOWED_ROOTS = (exp.Select, exp.SetOperation, exp.Values)
#: nodes that never belong in a read-only query, wherever they sit in the tree
_DENIED_NODES = (exp.Into, exp.Lock, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Copy,
                 exp.Command, exp.Merge, exp.Set, exp.Pragma, exp.Transaction, exp.Commit, exp.Rollback,
                 exp.Placeholder, exp.Parameter, exp.SessionParameter)
#: statement words refused anywhere outside string literals and comments, whatever sqlglot
#: makes of them
DENIED_WORDS = {"attach", "detach", "copy", "pragma", "install", "load", "checkpoint", "vacuum", "call", "into",
                "export", "import", "grant", "revoke", "truncate", "listen", "notify", "prepare", "execute",
                "deallocate", "lock", "reindex", "cluster", "discard", "reset", "use"}
#: names refused before a "(" whatever sqlglot makes of them (belt and braces to the allow-list):
#: the functions that ran nested SQL or read files and settings in the reported attacks
DENIED_CALLS = {"query", "query_table", "json_execute_serialized_sql", "getenv", "getvariable", "current_setting",
                "set_config", "dblink", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "lo_import",
                "query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema", "table_to_xml",
                "table_to_xml_and_xmlschema", "table_to_xmlschema", "pg_terminate_backend"}
_WORD = re.compile(r"[a-z_][a-z0-9_$]*")


def _call_key(node: exp.Func) -> str:
    """What a call is: the name typed for a function sqlglot does not know, else its class."""
    if isinstance(node, exp.Anonymous):
        return "name:" + str(node.name).lower()
    return "class:" + type(node).__name__


@functools.cache
def allowed_calls(dialect: str) -> frozenset[str]:
    """The call keys ``PURE_FUNCTIONS`` and ``_SPECIAL_FORMS`` parse into in ``dialect``.

    Derived by parsing each name the way a user would type it, so the allow-list stays what it
    says when sqlglot maps a name to one of its classes (``strftime`` → ``TimeToStr``).
    """
    keys: set[str] = set()
    samples = [f"{name}({args})" for name in PURE_FUNCTIONS for args in ("x", "x, y", "x, y, z", "")]
    for sample in samples + list(_SPECIAL_FORMS):
        try:
            tree = sqlglot.parse_one(f"select {sample} from t", read=dialect)
        except (ParseError, TokenError):
            continue
        if tree is not None:
            keys.update(_call_key(node) for node in tree.find_all(exp.Func))
    return frozenset(keys)


def _check_words(sql: str, dialect: str) -> None:
    """Token-level wall: refuses denied words anywhere outside string literals and comments."""
    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
    except (TokenError, ParseError) as exc:
        raise QueryRefused(f"cannot read this SQL: {str(exc).splitlines()[0]}") from None
    for index, token in enumerate(tokens):
        if token.token_type in (sqlglot.TokenType.STRING, sqlglot.TokenType.NATIONAL_STRING,
                                sqlglot.TokenType.RAW_STRING, sqlglot.TokenType.HEREDOC_STRING,
                                sqlglot.TokenType.BIT_STRING, sqlglot.TokenType.HEX_STRING,
                                sqlglot.TokenType.BYTE_STRING):
            continue
        word = token.text.lower()
        called = index + 1 < len(tokens) and tokens[index + 1].token_type == sqlglot.TokenType.L_PAREN
        if _WORD.fullmatch(word) and (word in DENIED_WORDS or (called and word in DENIED_CALLS)):
            raise QueryRefused(f"{word} is not allowed in the explorer: run one SELECT over the marts")


def check_query(sql: str, dialect: str, marts: set[str]) -> str:
    """Return the single statement in ``sql`` (trailing semicolons removed) when it may run.

    Args:
        sql: what the user typed.
        dialect: ``duckdb`` or ``postgres``.
        marts: lower-case names of the tables in ``analytics``.

    Raises:
        QueryRefused: empty, several statements, not a query, a write or DDL, a table outside
            ``analytics``, a function or type not on the allow-list; the message says which.
    """
    text = sql.strip()
    if not text:
        raise QueryRefused("type a SELECT query")
    if len(text) > 20_000:
        raise QueryRefused("the query is longer than 20,000 characters")
    try:
        return _check(text, dialect, marts)
    except RecursionError:  # sqlglot parses and walks recursively
        raise QueryRefused("the query is nested too deeply") from None


def _check(text: str, dialect: str, marts: set[str]) -> str:
    _check_words(text, dialect)
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        raise QueryRefused(f"cannot parse this SQL: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryRefused("run one statement at a time (no ';' between statements)")
    tree = statements[0]
    if not isinstance(tree, _ALLOWED_ROOTS):
        raise QueryRefused(f"only read-only SELECT queries are allowed, not {tree.key.upper()}")
    ctes = {str(cte.alias).lower() for cte in tree.find_all(exp.CTE)}
    allowed = allowed_calls(dialect)
    for node in tree.walk():
        if isinstance(node, _DENIED_NODES):
            raise QueryRefused(f"only read-only SELECT queries are allowed ({node.key.upper()} is not)")
        if isinstance(node, exp.Func) and _call_key(node) not in allowed:
            raise QueryRefused(f"the function {_shown_name(node)} is not on the explorer's list of pure functions "
                               "(see docs/security.md)")
        if isinstance(node, exp.DataType) and node.this not in ALLOWED_TYPES:
            raise QueryRefused(f"casting to {node.sql(dialect=dialect)} is not allowed in the explorer")
        if isinstance(node, exp.Table):
            _check_table(node, ctes, marts)
    return text.rstrip().rstrip(";").rstrip()


def _shown_name(node: exp.Func) -> str:
    return str(node.name).lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()


def _check_table(node: exp.Table, ctes: set[str], marts: set[str]) -> None:
    if not isinstance(node.this, exp.Identifier):
        if isinstance(node.this, exp.Func):
            return  # a table function: its call is checked against the allow-list
        raise QueryRefused("only the marts in analytics can be queried")
    name = node.name.lower()
    schema = (node.db or "").lower()
    if node.catalog or schema not in ("", "analytics") or (not schema and name not in ctes and name not in marts) \
            or (schema and name not in marts):
        shown = ".".join(p for p in (node.catalog, node.db, node.name) if p)
        raise QueryRefused(f"{shown} is not a mart: only tables in analytics can be queried (see the catalog)")
