"""Property and fuzz tests of the CSV drop parser (``sources/files/helpers.py``).

A file from the drop is outside input: whatever bytes it holds, reading it either yields rows the
warehouse can store exactly (whole numbers that fit ``bigint``, amounts that fit
``decimal(18, 4)``, required values present) or stops with one ``CsvProblem`` naming the file and
line; nothing else may escape.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, example, given, settings, strategies as st

from storeboard.sources.files import settings as file_settings
from storeboard.sources.files.helpers import CsvFile, CsvProblem
from tests.fuzz.conftest import decimal_fits

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
INVENTORY_NAME = "drop/inventory_2026-11-20.csv"
SHIPPING_NAME = "drop/shipping_costs_2026-11.csv"
BIGINT = 2**63

cell_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
number_like = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.from_regex(r"\A[ +-]?[0-9٠-٩]{0,22}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,4})? ?\Z"),
    st.sampled_from(["", " ", "1_000", "١٢", "0x10", "1,5", "nan", "-0", "+5", ".5", "5.", "1e3", "²"]),
)
cell = st.one_of(cell_text, number_like)


def read(content: bytes, kind: str, delimiter: str = ",", mapping: dict[str, str] | None = None):
    """(rows, None) when the file loads, (None, problem) when it is refused."""
    name = INVENTORY_NAME if kind == "inventory" else SHIPPING_NAME
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "copy.csv"
        path.write_bytes(content)
        csv_file = CsvFile(path, name, kind, delimiter, mapping)
        try:
            count = csv_file.validate()
            rows = [row for batch in csv_file.rows(csv_file.checksum()) for row in batch]
        except CsvProblem as problem:
            assert str(problem).startswith(f"{name}: "), "the problem names the file"
            assert "\n" not in problem.problem
            return None, problem
    assert len(rows) == count, "validate() counts exactly the rows that are yielded"
    return rows, None


def assert_storable(rows: list[dict], kind: str, casts) -> None:
    """Every accepted value fits the raw column it loads into; the warehouse agrees."""
    for row in rows:
        for column, (kind_of_value, required) in file_settings.COLUMNS[kind].items():
            value = row[column]
            if value is None:
                assert not required, (column, row)
                continue
            if kind_of_value == "text":
                assert isinstance(value, str) and value == value.strip() and value != ""
            elif kind_of_value in ("int", "count"):
                assert isinstance(value, int) and -BIGINT <= value < BIGINT, (column, value)
                assert kind_of_value == "int" or value >= 0
                assert casts(value, "bigint") == value
            else:
                assert isinstance(value, Decimal) and decimal_fits(value) and value >= 0, (column, value)
                assert casts(value, "decimal(18, 4)") == value.quantize(Decimal("0.0001"))


def write_csv(header: list[str], rows: list[list[str]], delimiter: str = ",", bom: bool = False,
              line_end: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


# -- arbitrary bytes --------------------------------------------------------------------------
@FUZZ
@given(content=st.binary(max_size=400), kind=st.sampled_from(["inventory", "shipping"]))
@example(content=b"\xef\xbb\xbf", kind="inventory")
@example(content=b"sku,on_hand\n\xff\n", kind="inventory")
@example(content=b'sku,on_hand\n"a,1\n', kind="inventory")
def test_arbitrary_bytes_load_storable_rows_or_name_the_problem(content, kind, casts):
    rows, _problem = read(content, kind)
    if rows is not None:
        assert_storable(rows, kind, casts)


# -- a real header, arbitrary cells -----------------------------------------------------------
inventory_row = st.fixed_dictionaries({c: cell for c in file_settings.COLUMNS["inventory"]})
shipping_row = st.fixed_dictionaries({c: cell for c in file_settings.COLUMNS["shipping"]})


@FUZZ
@given(rows=st.lists(inventory_row, max_size=6), delimiter=st.sampled_from([",", ";", "\t", "|"]),
       bom=st.booleans(), line_end=st.sampled_from(["\n", "\r\n"]))
@example(rows=[{"sku": "A", "on_hand": "99999999999999999999", "unit_cost": "", "reorder_point": "", "lead_time_days": ""}],
         delimiter=",", bom=False, line_end="\n")
@example(rows=[{"sku": "A", "on_hand": "1", "unit_cost": "123456789012345", "reorder_point": "", "lead_time_days": ""}],
         delimiter=",", bom=False, line_end="\n")
@example(rows=[{"sku": "A", "on_hand": "1", "unit_cost": "", "reorder_point": "9223372036854775808",
                "lead_time_days": ""}], delimiter=",", bom=False, line_end="\n")
def test_inventory_cells_load_as_typed_values_or_name_line_and_column(rows, delimiter, bom, line_end, casts):
    header = list(file_settings.COLUMNS["inventory"])
    content = write_csv(header, [[r[c] for c in header] for r in rows], delimiter, bom, line_end)
    loaded, problem = read(content, "inventory", delimiter)
    if loaded is None:
        assert problem.line is not None or "no data rows" in problem.problem or "changed" in problem.problem
        return
    assert_storable(loaded, "inventory", casts)
    written = [r for r in rows if any(v.strip() for v in r.values())]
    assert [r["sku"] for r in loaded] == [r["sku"].strip() for r in written]
    for got, wrote in zip(loaded, written):
        assert got["on_hand"] == int(wrote["on_hand"])
        cost = wrote["unit_cost"].strip()
        assert got["unit_cost"] == (Decimal(cost) if cost else None)
        assert got["snapshot_date"].isoformat() == "2026-11-20"


@FUZZ
@given(rows=st.lists(shipping_row, max_size=6))
@example(rows=[{"order_id": "#1", "carrier": "", "label_cost": "NaN"}])
@example(rows=[{"order_id": "#1", "carrier": "", "label_cost": "1e999999"}])
def test_shipping_cells_load_as_typed_values_or_name_line_and_column(rows, casts):
    header = list(file_settings.COLUMNS["shipping"])
    loaded, problem = read(write_csv(header, [[r[c] for c in header] for r in rows]), "shipping")
    if loaded is None:
        assert problem.line is not None or "no data rows" in problem.problem
        return
    assert_storable(loaded, "shipping", casts)


# -- well-formed files round-trip exactly -----------------------------------------------------
sku = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=10)
money = st.decimals(min_value=0, max_value=Decimal("99999999.9999"), places=4, allow_nan=False)
count = st.integers(0, 10**9)


@FUZZ
@given(data=st.data(), delimiter=st.sampled_from([",", ";", "\t", "|"]), bom=st.booleans(),
       extra=st.lists(st.sampled_from(["Notes", "warehouse", "EAN"]), unique=True, max_size=2))
def test_well_formed_snapshot_round_trips_exactly(data, delimiter, bom, extra):
    skus = data.draw(st.lists(sku, min_size=1, max_size=8, unique=True))
    values = [(s, data.draw(st.integers(-(10**9), 10**9)), data.draw(st.none() | money),
               data.draw(st.none() | count), data.draw(st.none() | count)) for s in skus]
    columns = list(file_settings.COLUMNS["inventory"])
    # Headers in any order and any case, with columns Storeboard does not read.
    header = data.draw(st.permutations(columns + extra))
    header_cased = [h.upper() if data.draw(st.booleans()) else h for h in header]
    by_column = [dict(zip(columns, ["" if v is None else str(v) for v in row]), **{e: "x" for e in extra})
                 for row in values]
    content = write_csv(header_cased, [[r[h] for h in header] for r in by_column], delimiter, bom)

    loaded, problem = read(content, "inventory", delimiter)

    assert problem is None, problem
    assert [(r["sku"], r["on_hand"], r["unit_cost"], r["reorder_point"], r["lead_time_days"]) for r in loaded] == values
    assert [r["line_number"] for r in loaded] == [i + 2 for i in range(len(values))] or any(
        "\n" in s or "\r" in s for s in skus), "line numbers count physical lines"


@FUZZ
@given(mapping_header=st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=12),
       on_hand=st.integers(-(10**6), 10**6))
def test_mapped_header_reads_the_mapped_column(mapping_header, on_hand):
    if mapping_header.strip().lower() in {"sku", "unit_cost", "reorder_point", "lead_time_days"}:
        return  # that column would be read twice; not what this property is about
    content = write_csv(["sku", mapping_header], [["A-1", str(on_hand)]])
    loaded, problem = read(content, "inventory", mapping={"on_hand": mapping_header})
    assert problem is None, problem
    assert loaded[0]["on_hand"] == on_hand
