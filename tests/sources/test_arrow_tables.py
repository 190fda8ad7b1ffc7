"""Records to Arrow tables: column names as dlt names them, exact types, misfits named not loaded."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from storeboard.sources.arrow_tables import Batches, Shape, column_name

SHAPE = Shape(
    "things",
    key=("id", "orderId"),
    text=("id", "orderId", "billing_details.email", "totalPriceSet.shopMoney.amount"),
    bigint=("amount",),
    double=("rate",),
    bool=("paid",),
    timestamp=("updatedAt",),
    json=("metadata",),
)


def _record(**overrides):
    record = {"id": "t_1", "orderId": "o_1", "billing_details": {"email": "a@example.com"},
              "totalPriceSet": {"shopMoney": {"amount": "12.50", "currencyCode": "USD"}},
              "amount": 1250, "rate": 0.25, "paid": True, "updatedAt": "2026-03-01T10:00:00-05:00",
              "metadata": {"order_id": "#1001", "n": [1, 2]}, "ignored": "not a column"}
    record.update(overrides)
    return record


def test_column_names_follow_dlt_naming():
    assert column_name("totalPriceSet.shopMoney.amount") == "total_price_set__shop_money__amount"
    assert column_name("billing_details.email") == "billing_details__email"
    assert column_name("customerJourneySummary.firstVisit.utmParameters.source") == \
        "customer_journey_summary__first_visit__utm_parameters__source"


def test_a_record_becomes_one_typed_row():
    table, problems = SHAPE.table_of([_record(), _record(id="t_2", billing_details=None, rate=1, metadata=None)])
    assert problems == []
    assert table.schema.field("amount").type == pa.int64()
    assert table.schema.field("rate").type == pa.float64()
    assert table.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    first, second = table.to_pylist()
    assert first == {
        "id": "t_1", "order_id": "o_1", "billing_details__email": "a@example.com",
        "total_price_set__shop_money__amount": "12.50", "amount": 1250, "rate": 0.25, "paid": True,
        "updated_at": datetime(2026, 3, 1, 15, 0, tzinfo=UTC), "metadata": '{"order_id":"#1001","n":[1,2]}',
    }
    assert second["billing_details__email"] is None and second["rate"] == 1.0 and second["metadata"] is None


@pytest.mark.parametrize("field, value, reason", [
    ("amount", "1250", "expected an integer"),
    ("amount", 12.5, "expected an integer"),
    ("amount", True, "expected an integer"),
    ("amount", 2**70, "expected a 64-bit integer"),
    ("paid", 1, "expected true or false"),
    ("id", 7, "expected a string"),
    ("updatedAt", "yesterday", "expected an ISO 8601 timestamp"),
    ("updatedAt", "2026-03-01T10:00:00", "expected an ISO 8601 timestamp"),
    ("id", None, "missing"),
])
def test_a_value_that_does_not_fit_names_the_record_and_field(field, value, reason):
    bad = _record(id="t_bad", **{field: value}) if field != "id" else _record(**{field: value})
    table, problems = SHAPE.table_of([_record(), bad, _record(id="t_3")])
    [(index, problem)] = problems
    assert index == 1
    assert problem.field == field and reason in problem.reason
    assert table.column("id").to_pylist() == ["t_1", "t_3"], "the other records still load"


def test_a_nested_misfit_names_the_dotted_path():
    _, [(_, problem)] = SHAPE.table_of([_record(totalPriceSet={"shopMoney": {"amount": 12.5}})])
    assert problem.field == "totalPriceSet.shopMoney.amount"


def test_batches_gather_pages_and_hand_back_misfits():
    batches = Batches(SHAPE, rows=3)
    assert list(batches.add([_record(id="a"), _record(id="b")])) == []
    [(table, problems)] = list(batches.add([_record(id="c", amount="x")]))
    assert table.column("id").to_pylist() == ["a", "b"]
    assert [(r["id"], p.field) for r, p in problems] == [("c", "amount")]
    [(table, problems)] = list(batches.add([_record(id=None)] * 3))
    assert table is None and len(problems) == 3
    assert list(batches.flush()) == []


def test_a_shape_must_declare_its_key_and_known_types():
    with pytest.raises(ValueError, match="key"):
        Shape("t", key=("id",), text=("name",))
    with pytest.raises(ValueError, match="unknown column types"):
        Shape("t", text=("id",), money=("amount",))
