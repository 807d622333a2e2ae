"""Preprocessing steps against pandas/polars references, the predicate builder, and errors.

Each step runs through ``fo.Preprocessing(...).run`` on a small frame with nulls, NaN and
duplicates, and is compared with the pandas or polars operation named in a ``reference:``
comment. Results are compared exactly (these steps move values, they do not compute).
"""

import datetime as dt
import json
import pickle

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ferrops as fo


@pytest.fixture
def frame() -> pd.DataFrame:
    """8 rows: id with duplicates, float x with NaN and None, string s with None, int n, ts strings."""
    return pd.DataFrame(
        {
            "id": [1, 2, 1, 3, 2, 4, 4, 1],
            "x": [1.5, np.nan, -3.0, 9.0, 0.0, np.nan, 4.0, 12.0],
            "s": ["a", None, "b", "c", None, "d", "a", "b"],
            "n": [5, 1, 10, 7, 3, -2, 0, 8],
            "ts": [
                "2024-01-02",
                "2024-01-05T10:00:00",
                "not a date",
                "2023-12-31 23:59:59",
                "",
                "2024-02-29",
                "2024-01-03",
                "2024-13-01",
            ],
        }
    )


def run(steps, data) -> pd.DataFrame:
    return fo.Preprocessing(steps).set_output(transform="pandas").run(data)


def assert_frames_equal(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Same columns, same values (nulls/NaN/NaT aligned), ignoring index and dtype flavour."""
    assert list(ours.columns) == list(ref.columns)
    assert len(ours) == len(ref), (ours, ref)
    for name in ref.columns:
        a, b = ours[name].tolist(), ref[name].tolist()
        assert [None if pd.isna(v) else v for v in a] == [None if pd.isna(v) else v for v in b], name


# ---------------------------------------------------------------------------
# steps vs pandas / polars
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["any", "all"])
@pytest.mark.parametrize("columns", [None, ["x"], ["x", "s"]])
def test_drop_nulls_matches_pandas_dropna(frame, how, columns):
    # reference: pandas.DataFrame.dropna(how=how, subset=columns) (NaN counts as missing)
    ours = run([fo.DropNulls(columns, how=how)], frame)
    ref = frame.dropna(how=how, subset=columns)
    assert_frames_equal(ours, ref)


@pytest.mark.parametrize("keep", ["last", "first"])
def test_deduplicate_without_by_matches_pandas_drop_duplicates(frame, keep):
    # reference: pandas.DataFrame.drop_duplicates(subset=["id"], keep=keep)
    ours = run([fo.Deduplicate(["id"], keep=keep)], frame)
    ref = frame.drop_duplicates(subset=["id"], keep=keep)
    assert_frames_equal(ours, ref)


def test_deduplicate_keep_last_by_timestamp_matches_pandas(frame):
    """Keep the row with the latest timestamp per id, output in input order."""
    df = frame.assign(
        updated=pd.to_datetime(
            [
                "2024-01-01",
                "2024-03-01",
                "2024-02-01",
                "2024-01-01",
                "2024-01-15",
                "2024-05-01",
                "2024-04-01",
                "2023-12-01",
            ]
        )
    )
    # reference: pandas sort_values("updated", kind="stable").drop_duplicates("id", keep="last"), then sort_index
    ref = df.sort_values("updated", kind="stable").drop_duplicates(subset=["id"], keep="last").sort_index()
    ours = run([fo.Deduplicate("id", by="updated", keep="latest")], pa.Table.from_pandas(df, preserve_index=False))
    assert_frames_equal(ours, ref)
    # keep="first" (alias "earliest"): the earliest timestamp per id
    # reference: pandas sort_values("updated", kind="stable").drop_duplicates("id", keep="first"), then sort_index
    ref_first = df.sort_values("updated", kind="stable").drop_duplicates(subset=["id"], keep="first").sort_index()
    assert_frames_equal(run([fo.Deduplicate("id", by="updated", keep="earliest")], df), ref_first)


def test_deduplicate_on_every_column_matches_pandas(frame):
    df = pd.concat([frame, frame.iloc[[0, 3]]], ignore_index=True)
    # reference: pandas.DataFrame.drop_duplicates(keep="last") (subset=None: all columns; NaN keys equal)
    assert_frames_equal(run([fo.Deduplicate()], df), df.drop_duplicates(keep="last"))


@pytest.mark.parametrize(("lower", "upper"), [(-1.0, 2.0), (0, None), (None, 5), (2.5, 7.5)])
def test_clip_matches_pandas(frame, lower, upper):
    # reference: pandas.Series.clip(lower, upper) on a float (NaN stays) and an int column
    ours = run([fo.Clip(["x", "n"], lower=lower, upper=upper)], frame)
    ref = frame.assign(x=frame["x"].clip(lower, upper), n=frame["n"].clip(lower, upper))
    assert_frames_equal(ours, ref)
    # integers stay integers for whole bounds and become float otherwise, as pandas
    assert ours["n"].dtype.kind == ref["n"].dtype.kind


def test_rename_select_drop_match_pandas(frame):
    # reference: pandas.DataFrame.rename(columns=...)
    assert_frames_equal(
        run([fo.Rename({"x": "value", "s": "label"})], frame), frame.rename(columns={"x": "value", "s": "label"})
    )
    # reference: pandas.DataFrame.__getitem__ with a list (order kept)
    assert_frames_equal(run([fo.Select(["s", "id"])], frame), frame[["s", "id"]])
    # reference: pandas.DataFrame.drop(columns=...)
    assert_frames_equal(run([fo.Drop(["ts", "x"])], frame), frame.drop(columns=["ts", "x"]))
    # a swap is fine
    assert list(run([fo.Rename({"x": "n", "n": "x"})], frame).columns) == ["id", "n", "s", "x", "ts"]


def test_parse_timestamps_coerce_matches_pandas_to_datetime(frame):
    # reference: pandas.to_datetime(format="ISO8601", errors="coerce") ("" -> NaT; bad strings -> NaT)
    ours = run([fo.ParseTimestamps("ts", errors="coerce")], frame)
    ref = pd.to_datetime(frame["ts"], format="ISO8601", errors="coerce")
    assert ours["ts"].dtype.kind == "M"
    assert [None if pd.isna(v) else v for v in ours["ts"]] == [None if pd.isna(v) else v for v in ref]
    assert ours["ts"].isna().tolist() == [False, False, True, False, True, False, False, True]


def test_parse_timestamps_with_format_and_raise():
    df = pd.DataFrame({"d": ["02/01/2024 10:00", "31/12/2023 23:30", None]})
    # reference: pandas.to_datetime(format="%d/%m/%Y %H:%M")
    ours = run([fo.ParseTimestamps(["d"], format="%d/%m/%Y %H:%M", unit="ms")], df)
    ref = pd.to_datetime(df["d"], format="%d/%m/%Y %H:%M")
    assert [None if pd.isna(v) else v for v in ours["d"]] == [None if pd.isna(v) else v for v in ref]
    with pytest.raises(fo.DataError, match="row 1"):
        fo.Preprocessing([fo.ParseTimestamps("d")]).run(pd.DataFrame({"d": ["2024-01-01", "bad"]}))


def test_cast_matches_pandas_astype():
    df = pd.DataFrame({"a": ["1", "2", None], "b": [1.9, -2.7, 3.0], "c": ["x", "7", "8"]})
    ours = run([fo.Cast({"a": "int64", "b": "int64", "c": "float64"}, safe=True)], df)
    # reference: pandas astype("Int64") (strings parse), float -> int truncates toward zero
    assert ours["a"].tolist()[:2] == pd.Series(["1", "2"]).astype("Int64").tolist()
    assert pd.isna(ours["a"].iloc[2])
    assert ours["b"].tolist() == df["b"].astype("int64").tolist()
    # reference: pandas.to_numeric(errors="coerce") for safe=True
    assert [None if pd.isna(v) else v for v in ours["c"]] == [None, 7.0, 8.0]
    with pytest.raises(fo.DataError, match="row 0"):
        fo.Preprocessing([fo.Cast({"c": "float64"})]).run(df)


PREDICATES = [
    (lambda c: c("x") > 1, lambda c: c("x") > 1),
    (lambda c: c("x") >= 0, lambda c: c("x") >= 0),
    (lambda c: c("x") < 4, lambda c: c("x") < 4),
    (lambda c: c("n") <= 5, lambda c: c("n") <= 5),
    (lambda c: c("s") == "a", lambda c: c("s") == "a"),
    (lambda c: c("s") != "a", lambda c: c("s") != "a"),
    (lambda c: ~(c("x") > 1), lambda c: ~(c("x") > 1)),
    (lambda c: c("s").is_null(), lambda c: c("s").is_null()),
    (lambda c: c("x").is_not_null(), lambda c: c("x").is_not_null()),
    (lambda c: c("s").is_in(["a", "d"]), lambda c: c("s").is_in(["a", "d"])),
    (lambda c: c("n").is_in([1, 8, 99]), lambda c: c("n").is_in([1, 8, 99])),
    (lambda c: (c("x") > 0) & (c("s") != "b"), lambda c: (c("x") > 0) & (c("s") != "b")),
    (lambda c: (c("x") > 5) | c("s").is_null(), lambda c: (c("x") > 5) | c("s").is_null()),
    (lambda c: ~((c("n") > 2) | (c("s") == "a")), lambda c: ~((c("n") > 2) | (c("s") == "a"))),
]


@pytest.mark.parametrize(("ours", "theirs"), PREDICATES, ids=range(len(PREDICATES)))
def test_filter_matches_polars_filter_with_nulls(ours, theirs):
    """x holds NaN and null, s holds null: three-valued logic, and NaN as the greatest float (polars)."""
    df = pl.DataFrame(
        {
            "x": [1.5, None, -3.0, float("nan"), 0.0, None, 4.0, 12.0],
            "s": ["a", None, "b", "c", None, "d", "a", "b"],
            "n": [5, 1, 10, 7, 3, -2, 0, 8],
        }
    )
    # reference: polars.DataFrame.filter(<same expression with pl.col>)
    ref = df.filter(theirs(pl.col))
    got = fo.Preprocessing([fo.Filter(ours(fo.col))]).set_output(transform="polars").run(df)
    assert isinstance(got, pl.DataFrame)
    assert got.equals(ref, null_equal=True), (got, ref)


def test_filter_on_timestamps_and_booleans():
    t = pa.table(
        {
            "t": pa.array([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 3), None], pa.timestamp("us")),
            "b": [True, False, None],
        }
    )
    prep = fo.Preprocessing([fo.Filter((fo.col("t") >= dt.date(2024, 1, 2)) | (fo.col("b") == True))])  # noqa: E712
    # reference: polars.DataFrame.filter((pl.col("t") >= date(2024, 1, 2)) | (pl.col("b") == True))
    ref = pl.from_arrow(t).filter((pl.col("t") >= dt.datetime(2024, 1, 2)) | (pl.col("b") == True))  # noqa: E712
    assert pl.from_arrow(prep.run(t)).equals(ref)


def test_steps_chain_and_accept_raw_dicts(frame):
    steps = [
        {"type": "parse_timestamps", "columns": ["ts"], "errors": "coerce"},
        fo.DropNulls(["x", "ts"]),
        fo.Filter(fo.col("n") > 0),
        {"type": "rename", "mapping": {"n": "count"}},
        fo.Select(["id", "count", "ts"]),
    ]
    out = fo.Preprocessing(steps).run(frame)
    assert isinstance(out, pa.RecordBatch)
    # reference: the same chain in pandas
    df = frame.assign(ts=pd.to_datetime(frame["ts"], format="ISO8601", errors="coerce"))
    ref = df.dropna(subset=["x", "ts"]).query("n > 0").rename(columns={"n": "count"})[["id", "count", "ts"]]
    assert_frames_equal(out.to_pandas(), ref)


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow", "dict"])
def test_every_input_kind(frame, kind):
    data = {
        "pandas": frame,
        "polars": pl.from_pandas(frame),
        "pyarrow": pa.Table.from_pandas(frame, preserve_index=False),
        "dict": {c: [None if pd.isna(v) else v for v in frame[c]] for c in frame.columns},
    }[kind]
    out = fo.Preprocessing([fo.DropNulls(["s"]), fo.Select(["id", "s"])]).run(data)
    assert out.to_pydict() == {"id": [1, 1, 3, 4, 4, 1], "s": ["a", "b", "c", "d", "a", "b"]}


def test_set_output_containers(frame):
    prep = fo.Preprocessing([fo.Cast({"n": "float64"})])
    assert isinstance(prep.run(frame), pa.RecordBatch)
    assert isinstance(prep.set_output(transform="pyarrow").run(frame), pa.Table)
    assert isinstance(prep.set_output(transform="polars").run(frame), pl.DataFrame)
    out = prep.set_output(transform="pandas").run(frame)
    assert isinstance(out, pd.DataFrame) and out["n"].dtype == np.float64
    with pytest.raises(fo.InvalidParameterError):
        prep.set_output(transform="numpy")


def test_cast_from_pandas_strings_is_not_undone_by_pandas_metadata():
    """A pandas frame's dtypes travel in the Arrow schema metadata; they must not survive a cast."""
    df = pd.DataFrame({"age": ["31", "17"]})
    out = run([fo.Cast({"age": "int64"})], df)
    assert out["age"].tolist() == [31, 17]


def test_preprocessing_pickles(frame):
    prep = fo.Preprocessing([fo.Filter(fo.col("n") > 2), fo.Drop("ts")]).set_output(transform="pandas")
    back = pickle.loads(pickle.dumps(prep))
    assert_frames_equal(back.run(frame), prep.run(frame))


# ---------------------------------------------------------------------------
# the predicate builder and step specs
# ---------------------------------------------------------------------------


def test_predicate_json_shapes():
    col = fo.col
    assert (col("age") >= 18).to_dict() == {"op": "ge", "column": "age", "value": 18}
    for pred, op in [
        (col("a") == 1, "eq"),
        (col("a") != 1, "ne"),
        (col("a") < 1, "lt"),
        (col("a") <= 1, "le"),
        (col("a") > 1, "gt"),
        (col("a") >= 1, "ge"),
    ]:
        assert pred.to_dict() == {"op": op, "column": "a", "value": 1}
    # reflected comparisons: 1 < col("a") is col("a") > 1
    assert (1 < col("a")).to_dict() == {"op": "gt", "column": "a", "value": 1}
    assert col("s").is_null().to_dict() == {"op": "is_null", "column": "s"}
    assert col("s").is_not_null().to_dict() == {"op": "is_not_null", "column": "s"}
    assert col("s").is_in(("x", "y")).to_dict() == {"op": "is_in", "column": "s", "values": ["x", "y"]}
    a, b, c = col("a") > 1, col("b") == "z", col("c").is_null()
    assert (a & b).to_dict() == {"op": "and", "predicates": [a.to_dict(), b.to_dict()]}
    assert (a | b).to_dict() == {"op": "or", "predicates": [a.to_dict(), b.to_dict()]}
    assert (~a).to_dict() == {"op": "not", "predicate": a.to_dict()}
    # chains of one operator are flattened; mixed ones nest
    assert (a & b & c).to_dict() == {"op": "and", "predicates": [a.to_dict(), b.to_dict(), c.to_dict()]}
    assert ((a | b) & c).to_dict() == {"op": "and", "predicates": [(a | b).to_dict(), c.to_dict()]}
    assert fo.Filter(a & ~c)._spec() == {
        "type": "filter",
        "predicate": {"op": "and", "predicates": [a.to_dict(), {"op": "not", "predicate": c.to_dict()}]},
    }


def test_predicate_literals():
    col = fo.col
    assert (col("x") > 1.5).to_dict()["value"] == 1.5
    assert (col("x") == True).to_dict()["value"] is True  # noqa: E712
    assert (col("x") > np.int64(3)).to_dict()["value"] == 3
    assert (col("x") > np.float32(0.5)).to_dict()["value"] == 0.5
    assert (col("t") >= dt.date(2024, 1, 2)).to_dict()["value"] == "2024-01-02"
    assert (col("t") < dt.datetime(2024, 1, 2, 3, 4)).to_dict()["value"] == "2024-01-02T03:04:00"
    assert (col("t") < pd.Timestamp("2024-01-02")).to_dict()["value"] == "2024-01-02T00:00:00"
    json.dumps((col("n").is_in(np.array([1, 2])) | (col("t") > dt.date(2024, 1, 1))).to_dict())
    for bad in [None, float("nan"), float("inf"), object(), [1]]:
        with pytest.raises(fo.InvalidParameterError):
            col("x") == bad  # noqa: B015
    with pytest.raises(fo.InvalidParameterError):
        col("s").is_in("abc")
    with pytest.raises(TypeError, match="truth value"):
        bool(col("x") > 1)
    with pytest.raises(TypeError):
        (col("x") > 1) & True  # noqa: B018


def test_step_specs_match_the_rust_json_forms():
    assert fo.Cast({"age": "int64"})._spec() == {"type": "cast", "columns": {"age": "int64"}, "safe": False}
    assert fo.ParseTimestamps("ts")._spec() == {
        "type": "parse_timestamps",
        "columns": ["ts"],
        "format": None,
        "timezone": None,
        "unit": "us",
        "errors": "raise",
    }
    assert fo.DropNulls()._spec() == {"type": "drop_nulls", "columns": None, "how": "any"}
    assert fo.Deduplicate()._spec() == {"type": "deduplicate", "keys": [], "by": None, "keep": "latest"}
    assert fo.Clip("x", upper=1)._spec() == {"type": "clip", "columns": ["x"], "lower": None, "upper": 1.0}
    assert fo.Rename({"a": "b"})._spec() == {"type": "rename", "mapping": {"a": "b"}}
    assert fo.Select("a")._spec() == {"type": "select", "columns": ["a"]}
    assert fo.Drop(["a", "b"])._spec() == {"type": "drop", "columns": ["a", "b"]}
    prep = fo.Preprocessing([fo.Drop("a"), {"type": "drop_nulls"}])
    assert prep.specs() == [{"type": "drop", "columns": ["a"]}, {"type": "drop_nulls"}]
    assert fo.Clip("x", lower=0).get_params() == {"columns": "x", "lower": 0, "upper": None}


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step",
    [
        fo.Filter(fo.col("nope") > 1),
        fo.Filter(fo.col("x").is_null() | fo.col("nope").is_null()),
        fo.Select(["id", "nope"]),
        fo.Drop("nope"),
        fo.Rename({"nope": "y"}),
        fo.Clip("nope", 0, 1),
        fo.DropNulls(["nope"]),
        fo.Deduplicate(["nope"]),
        fo.Cast({"nope": "int64"}),
        fo.ParseTimestamps("nope"),
    ],
    ids=repr,
)
def test_missing_column_is_a_schema_error(frame, step):
    with pytest.raises(fo.SchemaError, match="nope"):
        fo.Preprocessing([step]).run(frame)


@pytest.mark.parametrize(
    "predicate",
    [fo.col("x") == "a", fo.col("s") > 1, fo.col("s").is_in(["a", 2]), fo.col("x") == True],  # noqa: E712
    ids=["float_vs_str", "str_vs_int", "is_in_mixed", "float_vs_bool"],
)
def test_bad_literal_type_is_an_invalid_parameter_error(frame, predicate):
    with pytest.raises(fo.InvalidParameterError, match="compare it with"):
        fo.Preprocessing([fo.Filter(predicate)]).run(frame)


@pytest.mark.parametrize(
    "step",
    [
        fo.Cast({"x": "complex"}),
        fo.ParseTimestamps("ts", unit="days"),
        fo.ParseTimestamps("ts", errors="ignore"),
        fo.DropNulls(how="some"),
        fo.Deduplicate("id", keep="middle"),
        fo.Select([]),
        fo.Drop(["x", "x"]),
        fo.Clip("x", lower=float("nan")),
        fo.Clip("x", lower="low"),
        fo.Filter("x > 1"),
        {"type": "no_such_step"},
        {"type": "filter", "predicate": {"op": "eq", "column": "x", "value": None}},
        "drop_nulls",
    ],
    ids=repr,
)
def test_invalid_steps_are_invalid_parameter_errors(frame, step):
    with pytest.raises(fo.InvalidParameterError):
        fo.Preprocessing([step]).run(frame)


def test_invalid_bounds_are_checked_before_any_row(frame):
    with pytest.raises(fo.InvalidParameterError, match="lower"):
        fo.Preprocessing([fo.Clip("x", lower=2, upper=1)]).run(frame)


def test_clip_on_a_string_column_is_a_schema_error(frame):
    with pytest.raises(fo.SchemaError):
        fo.Preprocessing([fo.Clip("s", 0, 1)]).run(frame)


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------


def test_run_csv_with_null_tokens(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("id,x,s\n1,1.5,a\n2,-,b\n3,missing,c\n4,7.0,-\n5,NA,e\n")
    prep = fo.Preprocessing([fo.DropNulls()]).set_output(transform="pandas")
    ours = prep.run_csv(path, null_values=["-", "missing"])
    # reference: pandas.read_csv(na_values=["-", "missing"], keep_default_na=False).dropna()
    ref = pd.read_csv(path, na_values=["-", "missing"], keep_default_na=False)
    assert not pd.api.types.is_numeric_dtype(ref["x"])  # "NA" is not a null token here: x stays text in both
    assert_frames_equal(ours, ref.dropna())
    # the default tokens include "NA" and "" (pandas' defaults include both too)
    # reference: pandas.read_csv(na_values=["-", "missing"]) (keep_default_na=True)
    ref_default = pd.read_csv(path, na_values=["-", "missing"])
    ours_default = fo.Preprocessing([]).run_csv(path, null_values=["", "NA", "-", "missing"])
    assert [None if pd.isna(v) else v for v in ours_default.to_pandas()["x"]] == [
        None if pd.isna(v) else v for v in ref_default["x"]
    ]


def test_run_csv_delimiter_and_header(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("1\t2.5\n3\t4.5\n")
    out = fo.Preprocessing([fo.Clip("column_2", upper=3.0)]).run_csv(path, delimiter="\t", has_header=False)
    assert out.to_pydict() == {"column_1": [1, 3], "column_2": [2.5, 3.0]}


def test_non_utf8_csv_is_an_io_error(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(fo.FerropsIOError, match="UTF-8"):
        fo.Preprocessing([]).run_csv(path)
    with pytest.raises(fo.FerropsIOError):
        fo.read_csv(path)


def test_missing_csv_is_an_io_error(tmp_path):
    with pytest.raises(fo.FerropsIOError):
        fo.Preprocessing([]).run_csv(tmp_path / "nope.csv")


def test_truncated_parquet_is_an_io_error(tmp_path):
    path = tmp_path / "t.parquet"
    table = pa.table({"a": np.arange(1000), "b": np.linspace(0, 1, 1000)})
    pq.write_table(table, path)
    assert fo.read_parquet(path).to_pydict() == table.to_pydict()
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 3, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(fo.FerropsIOError):
            fo.read_parquet(path)
