"""Tests of ferrops.validation (Rust: ferrops::validate::data).

Inference is checked against pandas on a realistic table: ``Series.mean``,
``Series.std`` (ddof=1), ``min``/``max``, ``Series.quantile`` (linear), ``nunique``,
``isna().sum()``, ``value_counts``; uniqueness against ``duplicated(keep=False)``.
Then: save/load round trips (JSON and YAML), a hand-edited file and its mistakes,
every anomaly kind with its observed/expected, severities, ``mostly``, pandas, polars
and pyarrow input, empty tables, corrupt files and hostile paths, and the report's
pandas/dict/HTML forms.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ferrops as fo
from ferrops import expect


@pytest.fixture
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 300
    income = np.round(rng.lognormal(10, 0.5, n), 2)
    income[rng.choice(n, 15, replace=False)] = np.nan
    country = rng.choice(["DE", "FR", "US", "BR"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    country[rng.choice(n, 6, replace=False)] = None
    ids = np.arange(n) + 5000
    ids[[1, 2]] = ids[0]
    return pd.DataFrame(
        {
            "customer_id": ids,
            "age": rng.integers(18, 80, n),
            "income": income,
            "country": country,
            "active": rng.random(n) < 0.6,
            "signup": pd.date_range("2024-01-01", periods=n, freq="h"),
            "region": rng.choice(["north", "south"], n),
            "store": rng.integers(1, 60, n),
        }
    )


def anomalies(report: fo.ValidationReport, check: str) -> list[dict]:
    return [a for a in report.anomalies if a["check"] == check]


def only(report: fo.ValidationReport, check: str) -> dict:
    found = anomalies(report, check)
    assert len(found) == 1, report
    return found[0]


def test_inference_matches_pandas(customers: pd.DataFrame) -> None:
    schema = fo.infer_schema(customers)
    assert schema.columns == list(customers.columns)
    types = {c: schema.column(c)["type"] for c in schema.columns}
    assert types == {
        "customer_id": "int",
        "age": "int",
        "income": "float",
        "country": "string",
        "active": "bool",
        "signup": "timestamp",
        "region": "string",
        "store": "int",
    }
    n = len(customers)
    for name in ("customer_id", "age", "income", "store"):
        s = customers[name]
        col = schema.column(name)
        st = col["stats"]
        assert st["count"] == s.notna().sum()
        assert st["null_count"] == s.isna().sum()
        assert st["distinct_count"] == s.nunique()
        assert st["mean"] == pytest.approx(s.mean(), rel=1e-12)
        assert st["std"] == pytest.approx(s.std(), rel=1e-12)
        assert (st["min"], st["max"]) == (s.min(), s.max())
        assert (col["min"], col["max"]) == (s.min(), s.max())
        for q in st["quantiles"]:
            assert q["value"] == pytest.approx(s.quantile(q["q"]), rel=1e-12), (name, q)
        nulls = s.isna().sum()
        assert col["max_null_fraction"] == pytest.approx(0.0 if nulls == 0 else nulls / n + 0.05)
    country = schema.column("country")
    assert country["domain"] == sorted(customers["country"].dropna().unique())
    assert country["stats"]["null_count"] == 6
    counts = customers["country"].value_counts()
    assert {t["value"]: t["count"] for t in country["stats"]["top_values"]} == counts.to_dict()
    assert schema.column("active")["stats"]["mean"] == pytest.approx(customers["active"].mean())
    assert schema.column("signup")["stats"]["distinct_count"] == n
    assert schema.to_dict()["row_count"] == {"min": 1, "max": None}
    # A clean table passes its own schema.
    report = schema.validate(customers)
    assert report.passed and report.anomalies == [], report


def test_inference_options(customers: pd.DataFrame) -> None:
    schema = fo.infer_schema(customers, max_domain_size=3, range_margin=0.5, null_margin=0.0, min_rows=None)
    assert "domain" not in schema.column("country")  # 4 values > 3
    assert schema.column("region")["domain"] == ["north", "south"]
    age = customers["age"]
    span = age.max() - age.min()
    assert schema.column("age")["min"] == math.floor(age.min() - 0.5 * span)
    assert schema.column("income")["max_null_fraction"] == pytest.approx(15 / len(customers))
    assert schema.to_dict()["row_count"]["min"] is None
    with pytest.raises(fo.InvalidParameterError):
        fo.infer_schema(customers, range_margin=-1)
    with pytest.raises(fo.InvalidParameterError):
        fo.infer_schema(customers, quantiles=[1.5])


def test_polars_pyarrow_and_pandas_give_the_same_schema(customers: pd.DataFrame) -> None:
    frame = customers.drop(columns=["signup"])
    from_pandas = fo.infer_schema(frame).to_dict()
    from_arrow = fo.infer_schema(pa.Table.from_pandas(frame, preserve_index=False)).to_dict()
    from_polars = fo.infer_schema(pl.from_pandas(frame)).to_dict()
    assert from_pandas == from_arrow
    assert from_pandas["columns"][0] == from_polars["columns"][0]
    assert [c["type"] for c in from_polars["columns"]] == [c["type"] for c in from_pandas["columns"]]
    assert from_polars["columns"][3]["domain"] == from_pandas["columns"][3]["domain"]
    # A polars categorical validates as a string column.
    cat = pl.DataFrame({"c": pl.Series(["a", "b", "a"], dtype=pl.Categorical)})
    schema = fo.infer_schema(cat)
    assert schema.column("c")["type"] == "string"
    report = schema.validate(pl.DataFrame({"c": pl.Series(["a", "z"], dtype=pl.Categorical)}))
    assert only(report, "domain")["examples"] == ["z"]


def test_round_trips(tmp_path, customers: pd.DataFrame) -> None:
    schema = fo.infer_schema(customers).with_expectations(
        expect.column("age").between(0, 120, mostly=0.99),
        expect.column("country").in_set(["DE", "FR", "US", "BR"], severity="warning"),
        expect.column("customer_id").unique(),
        expect.column("region").matches(r"^(north|south)$"),
        expect.column("income").not_null(mostly=0.9),
        expect.table().row_count_between(1, 10_000),
        expect.unique_key(["region", "store"], severity="warning"),
    )
    assert fo.Schema.from_json(schema.to_json()) == schema
    assert fo.Schema.from_yaml(schema.to_yaml()) == schema
    assert fo.Schema.from_dict(schema.to_dict()) == schema
    for name in ("s.json", "s.yaml", "s.yml"):
        schema.save(tmp_path / name)
        assert fo.Schema.load(tmp_path / name) == schema
        assert fo.Schema.load(str(tmp_path / name)) == schema
    assert json.loads((tmp_path / "s.json").read_text())["format"] == "ferrops.data_schema/1"
    assert "check: between" in (tmp_path / "s.yaml").read_text()
    assert len(schema.expectations) == 7
    assert schema.expectations[0] == expect.column("age").between(0, 120, mostly=0.99)
    # validate() takes a path too.
    assert fo.validate(customers, tmp_path / "s.yaml").to_dict() == schema.validate(customers).to_dict()


HAND_WRITTEN = """\
format: ferrops.data_schema/1
row_count: {min: 2}
columns:
- name: age
  type: int
  max_null_fraction: 0
  min: 0
  max: 120
- name: country
  type: string
  domain: [DE, FR]
  severity: {domain: warning}
expectations:
- check: unique
  column: age
"""


def test_hand_edited_file(tmp_path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(HAND_WRITTEN)
    schema = fo.Schema.load(path)
    report = schema.validate(pd.DataFrame({"age": [30, 30, 200], "country": ["DE", "IT", "FR"]}))
    assert [(a["check"], a["severity"]) for a in report.anomalies] == [
        ("range", "error"),
        ("domain", "warning"),
        ("unique", "error"),
    ]
    assert not report.passed
    mistakes = [
        ("  type: int\n", "  type: integer\n", "unknown variant `integer`"),
        ("  min: 0\n", "  min: 500\n", "columns[0] (age): min 500 is greater than max 120"),
        ("  domain: [DE, FR]\n", "  domain: [DE, FR]\n  nulls: 3\n", "unknown field `nulls`"),
        ("check: unique\n", "check: uniq\n", "unknown variant `uniq`"),
        ("  column: age\n", "  column: age\n  mostly: 7\n", "mostly = 7 must be in [0, 1]"),
    ]
    for old, new, message in mistakes:
        path.write_text(HAND_WRITTEN.replace(old, new, 1))
        with pytest.raises(
            fo.FerropsIOError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
        ):
            fo.Schema.load(path)
        with pytest.raises(fo.FerropsIOError, match="invalid schema"):
            fo.Schema.from_yaml(HAND_WRITTEN.replace(old, new, 1))
    # A dict with a mistake is an InvalidParameterError naming the place.
    data = fo.Schema.from_yaml(HAND_WRITTEN).to_dict()
    data["columns"][0]["min"] = 1000
    with pytest.raises(fo.InvalidParameterError, match=r"columns\[0\] \(age\)"):
        fo.Schema.from_dict(data)


def test_every_anomaly_kind() -> None:
    train = pd.DataFrame(
        {
            "age": [18, 30, 45, 90],
            "income": [1.0, 2.5, None, 4.0],
            "country": ["DE", "FR", "US", "DE"],
            "active": [True, False, True, True],
        }
    )
    schema = fo.infer_schema(train)
    # polars keeps NaN apart from null.
    new = pl.DataFrame(
        {
            "age": ["18", "x", "3", "4", "5"],
            "income": [9.5, None, float("nan"), None, -1.0],
            "country": ["DE", "BR", "BR", "MX", None],
            "extra": [1, 2, 3, 4, 5],
        }
    )
    report = schema.validate(new)
    got = [(a["column"], a["check"]) for a in report.anomalies]
    assert got == [
        ("age", "type"),
        ("income", "nulls"),
        ("income", "nan"),
        ("income", "range"),
        ("country", "nulls"),
        ("country", "domain"),
        ("active", "missing_column"),
        ("extra", "extra_column"),
    ]
    a = {(x["column"], x["check"]): x for x in report.anomalies}
    assert a["age", "type"]["expected"] == "int"
    assert a["age", "type"]["observed"].startswith("string")
    assert (a["income", "nulls"]["observed"], a["income", "nulls"]["expected"]) == ("0.4 (2 of 5 rows)", "<= 0.3")
    assert a["income", "nulls"]["unexpected_count"] == 2
    assert a["income", "nan"]["unexpected_count"] == 1
    assert (a["income", "range"]["observed"], a["income", "range"]["expected"]) == ("min -1, max 9.5", "[1, 4]")
    assert a["income", "range"]["examples"] == ["9.5", "-1"]
    assert a["country", "domain"]["examples"] == ["BR", "MX"]
    assert a["country", "domain"]["unexpected_fraction"] == pytest.approx(0.75)
    assert a["active", "missing_column"]["expected"] == "present (bool)"
    assert a["extra", "extra_column"]["severity"] == "warning"
    assert len(report.errors) == 7 and len(report.warnings) == 1
    assert not report.passed and not report
    # Row count, on an empty table of the same columns.
    report = schema.validate(train.iloc[:0])
    assert [x["check"] for x in report.anomalies] == ["row_count"]
    assert only(report, "row_count")["observed"] == "0 rows"
    # Int where float is expected is accepted; float where int is expected is not.
    ok = schema.validate(train.assign(income=[1, 2, 3, 4]))
    assert ok.passed, ok
    bad = schema.validate(train.assign(age=[18.0, 30.0, 45.0, 90.0]))
    assert only(bad, "type")["column"] == "age"


def test_severities(customers: pd.DataFrame) -> None:
    schema = fo.infer_schema(customers)
    new = customers.assign(age=customers["age"] + 100)
    assert not schema.validate(new).passed
    warn = schema.with_severity("range", "warning")
    report = warn.validate(new)
    assert report.passed and only(report, "range")["severity"] == "warning"
    back = warn.with_severity("range", "error", column="age")
    assert not back.validate(new).passed
    off = schema.with_severity("range", "ignore", column="age")
    assert off.validate(new).anomalies == []
    with pytest.raises(fo.InvalidParameterError):
        schema.with_severity("between", "warning")
    with pytest.raises(fo.InvalidParameterError):
        schema.with_severity("range", "fatal")
    with pytest.raises(KeyError):
        schema.with_severity("range", "warning", column="nope")


def test_expectations_and_mostly() -> None:
    ages = [float(i) for i in range(20)]
    ages[19] = 150.0
    ages[3] = None  # pandas: NaN -> null; skipped by value expectations
    df = pd.DataFrame({"age": ages, "code": ["zz-1" if i % 5 == 0 else "AB-12" for i in range(20)]})
    run = lambda *e: fo.validate(df, expectations=e)  # noqa: E731
    a = only(run(expect.column("age").between(0, 120)), "between")
    assert (a["unexpected_count"], a["observed"], a["expected"]) == (1, "1 of 19 values outside (0.0526)", "[0, 120]")
    assert a["unexpected_fraction"] == pytest.approx(1 / 19)
    assert run(expect.column("age").between(0, 120, mostly=0.9)).passed
    assert not run(expect.column("age").between(0, 120, mostly=0.99)).passed
    assert run(expect.column("age").between(min=0)).passed
    assert not run(expect.column("code").matches(r"^[A-Z]{2}-\d+$")).passed
    assert run(expect.column("code").matches(r"^[A-Z]{2}-\d+$", mostly=0.8)).passed
    assert only(run(expect.column("code").in_set(["AB-12"])), "in_set")["unexpected_count"] == 4
    assert only(run(expect.column("age").in_set(np.arange(0, 19))), "in_set")["examples"] == ["150"]
    nn = only(run(expect.column("age").not_null()), "not_null")
    assert (nn["unexpected_count"], nn["observed"]) == (1, "1 of 20 rows missing")
    assert run(expect.column("age").not_null(severity="warning")).passed
    rc = only(run(expect.table().row_count_between(21, 30)), "row_count_between")
    assert (rc["observed"], rc["expected"]) == ("20 rows", "between 21 and 30 rows")
    assert only(run(expect.column("nope").unique()), "unique")["observed"] == "column absent"
    assert "not numeric" in only(run(expect.column("code").between(0, 1)), "between")["observed"]
    for bad in (
        lambda: expect.column("age").between(5, 1),
        lambda: expect.column("age").between(),
        lambda: expect.column("age").between(0, 1, mostly=1.5),
        lambda: expect.column("code").matches("("),
        lambda: expect.column("code").in_set([]),
        lambda: expect.column("code").in_set("abc"),
        lambda: expect.column("code").unique(severity="fatal"),
        lambda: expect.unique_key([]),
        lambda: expect.table().row_count_between(5, 1),
    ):
        with pytest.raises(fo.InvalidParameterError):
            bad()


def test_uniqueness_matches_pandas_duplicated(customers: pd.DataFrame) -> None:
    u = only(fo.validate(customers, expectations=[expect.column("customer_id").unique()]), "unique")
    assert u["unexpected_count"] == customers["customer_id"].duplicated(keep=False).sum() == 3
    assert u["examples"] == ["5000"]
    k = only(fo.validate(customers, expectations=[expect.unique_key(["region", "store"])]), "unique_key")
    assert k["unexpected_count"] == customers.duplicated(["region", "store"], keep=False).sum()
    assert k["unexpected_fraction"] == pytest.approx(k["unexpected_count"] / len(customers))
    c = only(fo.validate(customers, expectations=[expect.column("country").unique()]), "unique")
    present = customers["country"].dropna()
    assert c["unexpected_count"] == present.duplicated(keep=False).sum()
    # Keys with nulls: nulls equal nulls, as pandas duplicated.
    df = pd.DataFrame({"a": ["x", None, None, "y"], "b": [1, 2, 2, 1]})
    k = only(fo.validate(df, expectations=[expect.unique_key(["a", "b"])]), "unique_key")
    assert k["unexpected_count"] == df.duplicated(keep=False).sum() == 2


def test_empty_and_bad_input(tmp_path) -> None:
    with pytest.raises(fo.DataError):
        fo.infer_schema(pd.DataFrame({"a": pd.Series([], dtype="int64")}))
    with pytest.raises(fo.SchemaError):
        fo.infer_schema(pa.table({"b": pa.array([b"x"], type=pa.binary())}))
    schema = fo.Schema.from_yaml(HAND_WRITTEN)
    report = schema.validate(pa.table({"age": pa.array([], type=pa.int64()), "country": pa.array([], pa.string())}))
    assert [a["check"] for a in report.anomalies] == ["row_count"]
    # Corrupt files.
    for name, text in [("c.json", '{"columns": [{"name": '), ("c.yaml", "columns: [[[\n"), ("d.json", "42")]:
        (tmp_path / name).write_text(text)
        with pytest.raises(fo.FerropsIOError, match=name):
            fo.Schema.load(tmp_path / name)
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00\x80")
    with pytest.raises(fo.FerropsError):
        fo.Schema.load(tmp_path / "bin.yaml")
    # Hostile paths: a directory, a missing parent, a missing file, a bad extension.
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(fo.FerropsIOError):
        schema.save(tmp_path / "dir.json")
    with pytest.raises(fo.FerropsIOError):
        fo.Schema.load(tmp_path / "dir.json")
    with pytest.raises(fo.FerropsIOError, match="no/such"):
        schema.save(tmp_path / "no" / "such" / "s.yaml")
    with pytest.raises(fo.FerropsIOError):
        fo.Schema.load(tmp_path / "missing.yaml")
    with pytest.raises(fo.InvalidParameterError, match=r"\.json, \.yaml or \.yml"):
        schema.save(tmp_path / "s.txt")
    with pytest.raises(fo.InvalidParameterError):
        fo.validate(pd.DataFrame({"a": [1]}), schema=42)  # type: ignore[arg-type]


def test_report_forms() -> None:
    schema = fo.Schema.from_yaml(HAND_WRITTEN)
    report = schema.validate(pd.DataFrame({"age": [1, 2], "country": ["<script>alert(1)</script>", "DE"]}))
    frame = report.to_pandas()
    assert list(frame.columns) == [
        "column",
        "check",
        "severity",
        "observed",
        "expected",
        "unexpected_count",
        "unexpected_fraction",
        "examples",
    ]
    assert frame.loc[0, "check"] == "domain" and frame.loc[0, "examples"] == ["<script>alert(1)</script>"]
    d = report.to_dict()
    assert d["passed"] is True and d["n_rows"] == 2 and json.loads(json.dumps(d)) == d
    html = report._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "PASSED" in html and "<table>" in html
    assert "domain on 'country'" in repr(report)
    assert len(report) == 1 and bool(report)
    empty = schema.validate(pd.DataFrame({"age": [1, 2], "country": ["DE", "FR"]}))
    assert empty.to_pandas().empty and "<table>" not in empty._repr_html_()
    assert repr(schema).startswith("Schema(age: int, country: string; 1 expectation(s))")


def test_editing_in_python() -> None:
    schema = fo.Schema.from_yaml(HAND_WRITTEN)
    wider = schema.with_column("age", max=200).with_column("spend", type="float", required=False, min=0)
    assert wider.column("age")["max"] == 200 and wider.columns == ["age", "country", "spend"]
    assert schema.column("age")["max"] == 120  # schemas are immutable
    df = pd.DataFrame({"age": [150, 20], "country": ["DE", "FR"]})
    assert not schema.validate(df).passed
    assert wider.validate(df).passed  # spend is optional
    with pytest.raises(fo.InvalidParameterError, match="min and max apply to int and float columns only"):
        schema.with_column("country", min=0)
    with pytest.raises(fo.InvalidParameterError):
        schema.with_column("new")  # no type
    with pytest.raises(KeyError):
        schema.column("nope")
    assert schema != wider and schema == fo.Schema.from_dict(schema.to_dict())


def test_non_finite_numbers_give_clear_errors_or_open_bounds() -> None:
    frame = pd.DataFrame({"x": [1.0, 5.0, 50.0]})
    # An infinite end of `between` is an open bound, as None is.
    assert expect.column("x").between(0, math.inf) == expect.column("x").between(0)
    assert expect.column("x").between(-np.inf, 10) == expect.column("x").between(max=10)
    report = fo.validate(frame, expectations=[expect.column("x").between(0, np.inf)])
    assert report.passed
    for make in (
        lambda: expect.column("x").between(math.inf, 10),
        lambda: expect.column("x").between(0, math.nan),
        lambda: expect.column("x").not_null(mostly=math.nan),
        lambda: expect.column("x").in_set([1.0, math.nan]),
        lambda: fo.infer_schema(frame, quantiles=[0.5, math.nan]),
        lambda: fo.infer_schema(frame, range_margin=math.inf),
    ):
        with pytest.raises(fo.InvalidParameterError, match="finite number"):
            make()


def test_in_set_of_large_integers_is_exact() -> None:
    # 2**53 + 1 is 2**53 as a float64; ids must not match their neighbours.
    frame = pd.DataFrame({"id": np.array([2**53 + 1, 7], dtype=np.int64)})
    report = fo.validate(frame, expectations=[expect.column("id").in_set([2**53, 7])])
    (anomaly,) = report.anomalies
    assert anomaly["examples"] == [str(2**53 + 1)]
    assert fo.validate(frame, expectations=[expect.column("id").in_set(np.array([2**53 + 1, 7]))]).passed


def test_empty_schema_and_editing_columns() -> None:
    empty = fo.Schema()
    assert empty.columns == [] and empty.expectations == []
    wide = fo.infer_schema(pd.DataFrame({f"c{i}": [i] for i in range(30)}))
    assert repr(wide).endswith("c11: int, ... (30 columns); 0 expectation(s))")
    assert empty == fo.Schema.from_dict({})
    with pytest.raises(fo.InvalidParameterError, match="give its type="):
        empty.with_column("age", min=0)
    schema = empty.with_column("age", type="int", min=np.int64(0), max=np.float64(120.0)).with_column(
        "country", type="string", domain=np.array(["DE", "FR"])
    )
    assert schema.column("age")["min"] == 0 and schema.column("age")["max"] == 120
    assert schema.column("country")["domain"] == ["DE", "FR"]
    report = schema.validate(pd.DataFrame({"age": [30, 130], "country": ["DE", "BR"]}))
    assert [a["check"] for a in report.anomalies] == ["range", "domain"]
    with pytest.raises(fo.InvalidParameterError, match="finite number"):
        schema.with_column("age", max=math.inf)


def test_duplicate_column_names_cannot_be_inferred() -> None:
    table = pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"])
    with pytest.raises(fo.DataError, match="two columns named `a`"):
        fo.infer_schema(table)


def test_expectation_errors_name_the_expectation() -> None:
    with pytest.raises(fo.InvalidParameterError, match=r"^invalid expectation `between` on column 'x': min 5"):
        expect.column("x").between(5, 1)
    with pytest.raises(fo.InvalidParameterError, match=r"^invalid expectation `matches` on column 'x'"):
        expect.column("x").matches("(")
    with pytest.raises(fo.InvalidParameterError, match=r"^invalid expectation `unique_key`: give at least one"):
        expect.unique_key([])
    for bad in (-1, 1.5, True):
        with pytest.raises(fo.InvalidParameterError, match="a row count is a whole number >= 0"):
            expect.table().row_count_between(bad, 10)
    assert expect.table().row_count_between(np.int64(1), 10).to_dict()["min"] == 1


def test_categoricals_have_their_values_type() -> None:
    train = pd.DataFrame({"grade": pd.Categorical([1, 2, 2, 3]), "tier": pd.Categorical(["a", "b", "a", "b"])})
    schema = fo.infer_schema(train)
    assert schema.column("grade")["type"] == "int" and schema.column("tier")["type"] == "string"
    assert (schema.column("grade")["min"], schema.column("grade")["max"]) == (1, 3)
    assert schema.validate(train).passed
    report = schema.validate(pd.DataFrame({"grade": pd.Categorical([1, 7]), "tier": pd.Categorical(["a", "c"])}))
    assert [(a["column"], a["check"], a["examples"]) for a in report.anomalies] == [
        ("grade", "range", ["7"]),
        ("tier", "domain", ["c"]),
    ]
