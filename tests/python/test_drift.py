"""ferrops.drift batch tests: the statistics against scipy, the report against scipy
column by column, profiles (pickle, merge, feature-store statistics), inputs from
pandas/polars/pyarrow/numpy, exports and errors.

References: scipy.stats (ks_2samp, cramervonmises_2samp, anderson_ksamp,
wasserstein_distance, chi2_contingency, false_discovery_control) and
scipy.spatial.distance.jensenshannon, computed in the test on the same data.
"""

from __future__ import annotations

import json
import pickle
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from scipy import stats
from scipy.spatial import distance

import ferrops as fo
import ferrops.drift as fd


@pytest.fixture(scope="module")
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.mark.parametrize(
    ("n", "m", "shift", "method"),
    [(40, 55, 0.5, "auto"), (300, 250, 0.2, "exact"), (12_000, 9_000, 0.03, "auto"), (500, 700, 0.1, "asymp")],
)
def test_ks_2samp_matches_scipy(rng, n, m, shift, method):
    a = rng.normal(size=n)
    b = rng.normal(shift, 1, size=m)
    stat, p, used = fd.ks_2samp(a, b, method=method)
    ref = stats.ks_2samp(a, b, method=method)
    assert stat == pytest.approx(ref.statistic, rel=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-8)
    assert used == ("asymptotic" if method == "asymp" or max(n, m) > 10_000 else "exact")


def test_ks_published_scipy_case():
    # scipy.stats.ks_2samp docstring/tests: D = 232/1100, p = 0.015739183865607353.
    a = np.linspace(1, 100, 100)
    b = np.linspace(1, 100, 110) + 20.1
    stat, p, _ = fd.ks_2samp(a, b)
    assert stat == pytest.approx(232 / 1100, rel=1e-12)
    assert p == pytest.approx(0.015739183865607353, rel=1e-10)


def test_cramervonmises_anderson_wasserstein_match_scipy(rng):
    a = rng.normal(size=60)
    b = rng.normal(0.4, 1.2, size=45)
    stat, p, _ = fd.cramervonmises_2samp(a, b)
    ref = stats.cramervonmises_2samp(a, b)
    assert stat == pytest.approx(ref.statistic, rel=1e-10)
    assert p == pytest.approx(ref.pvalue, rel=1e-6)
    ad = fd.anderson_ksamp([a, b])
    ref_ad = stats.anderson_ksamp([a, b], variant="midrank")
    assert ad["statistic"] == pytest.approx(ref_ad.statistic, rel=1e-10)
    assert ad["p_value"] == pytest.approx(ref_ad.pvalue, rel=1e-8)
    with warnings.catch_warnings():  # the critical values: scipy's legacy form only
        warnings.simplefilter("ignore")
        legacy = stats.anderson_ksamp([a, b])
    assert ad["critical_values"] == pytest.approx(list(legacy.critical_values), rel=1e-10)
    w = rng.uniform(0.1, 2, size=60)
    assert fd.wasserstein_distance(a, b) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-12)
    assert fd.wasserstein_distance(a, b, u_weights=w) == pytest.approx(
        stats.wasserstein_distance(a, b, u_weights=w), rel=1e-12
    )


def test_binned_measures_and_corrections_match_scipy(rng):
    r = np.array([40, 30, 20, 10, 0], dtype=float)
    c = np.array([30, 30, 20, 10, 10], dtype=float)
    chi = stats.chi2_contingency([r, c])
    stat, p, dof = fd.chi2_homogeneity(r, c)
    assert (stat, dof) == (pytest.approx(chi.statistic, rel=1e-12), chi.dof)
    assert p == pytest.approx(chi.pvalue, rel=1e-10)
    # 2x2: scipy applies Yates' correction.
    chi = stats.chi2_contingency([[10, 20], [25, 12]])
    assert fd.chi2_homogeneity([10, 20], [25, 12])[0] == pytest.approx(chi.statistic, rel=1e-12)
    assert fd.jensen_shannon(r, c) == pytest.approx(distance.jensenshannon(r, c, base=2), rel=1e-12)
    assert fd.jensen_shannon(r, c, base=np.e) == pytest.approx(distance.jensenshannon(r, c), rel=1e-12)
    pr, pc = r / r.sum(), c / c.sum()
    assert fd.total_variation(r, c) == pytest.approx(0.5 * np.abs(pr - pc).sum(), rel=1e-12)
    assert fd.l_infinity(r, c) == pytest.approx(np.abs(pr - pc).max(), rel=1e-12)
    assert fd.hellinger(r, c) == pytest.approx(np.sqrt(1 - np.sqrt(pr * pc).sum()), rel=1e-10)
    eps = 1e-4
    qr, qc = np.where(pr == 0, eps, pr), np.where(pc == 0, eps, pc)
    assert fd.psi(r, c) == pytest.approx(((qc - qr) * np.log(qc / qr)).sum(), rel=1e-12)
    p = rng.uniform(0, 0.1, size=12)
    np.testing.assert_allclose(fd.benjamini_hochberg(p), stats.false_discovery_control(p, method="bh"), rtol=1e-12)
    np.testing.assert_allclose(fd.bonferroni(p), np.minimum(p * 12, 1), rtol=1e-12)


def test_report_matches_scipy_per_column_and_accepts_every_input_kind(rng):
    n_ref, n_cur = 600, 500
    reference = pd.DataFrame(
        {
            "x": rng.normal(size=n_ref),
            "y": rng.exponential(size=n_ref),
            "city": rng.choice(["paris", "lyon", "nice"], n_ref, p=[0.5, 0.3, 0.2]),
        }
    )
    current = pd.DataFrame(
        {
            "x": rng.normal(0.5, 1, size=n_cur),
            "y": rng.exponential(size=n_cur),
            "city": rng.choice(["paris", "lyon", "nice", "brest"], n_cur, p=[0.3, 0.3, 0.2, 0.2]),
        }
    )
    report = fd.drift_report(reference, current)
    for col in ("x", "y"):
        ref = stats.ks_2samp(reference[col], current[col])
        assert report[col]["test"] == "ks"
        assert report[col]["statistic"] == pytest.approx(ref.statistic, rel=1e-12)
        assert report[col]["p_value"] == pytest.approx(ref.pvalue, rel=1e-8)
    labels = ["paris", "lyon", "nice", "brest"]
    table = [[(reference.city == k).sum() for k in labels], [(current.city == k).sum() for k in labels]]
    chi = stats.chi2_contingency(table)
    assert report["city"]["test"] == "chi_square"
    assert report["city"]["statistic"] == pytest.approx(chi.statistic, rel=1e-10)
    assert report["city"]["p_value"] == pytest.approx(chi.pvalue, rel=1e-8)
    assert report.drifted_columns == ["x", "city"]
    assert report.dataset_drifted and report.drifted_share == pytest.approx(2 / 3)
    # The same verdicts from polars, pyarrow and dict inputs.
    for ref_in, cur_in in [
        (pl.from_pandas(reference), pl.from_pandas(current)),
        (pa.Table.from_pandas(reference), pa.Table.from_pandas(current)),
        (reference.to_dict("list"), current.to_dict("list")),
    ]:
        other = fd.drift_report(ref_in, cur_in)
        assert [c["statistic"] for c in other.columns] == [c["statistic"] for c in report.columns]
    # numpy: columns x0, x1, ...
    arr = fd.drift_report(reference[["x", "y"]].to_numpy(), current[["x", "y"]].to_numpy())
    assert [c["column"] for c in arr.columns] == ["x0", "x1"]
    assert arr["x0"]["statistic"] == report["x"]["statistic"]


def test_profile_pickles_merges_and_serves_as_reference(rng, tmp_path):
    ref = pd.DataFrame({"x": rng.normal(size=30_000), "c": rng.choice(["a", "b"], 30_000)})
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, size=20_000), "c": rng.choice(["a", "b"], 20_000)})
    profile = fd.Profile.from_table(ref)
    assert profile.rows == 30_000 and profile.columns == ["x", "c"]
    assert not profile.is_exact("x")
    again = pickle.loads(pickle.dumps(profile))
    assert again == profile
    profile.save(tmp_path / "p.json")
    assert fd.Profile.load(tmp_path / "p.json") == profile
    half = fd.Profile.from_table(ref.iloc[:15_000]).merge(fd.Profile.from_table(ref.iloc[15_000:]))
    assert half.rows == 30_000
    report = fd.drift_report(profile, cur)
    exact = fd.drift_report(ref, cur)
    assert report["x"]["test"] == exact["x"]["test"] == "wasserstein_normed"
    assert report["x"]["statistic"] == pytest.approx(exact["x"]["statistic"], rel=0.02)
    assert any("quantile sketch" in n for n in report["x"]["notes"])
    assert report.drifted_columns == exact.drifted_columns == ["x"]
    detector = fd.DriftDetector(profile, numeric_test="ks")
    ks = detector.run(cur)["x"]
    assert ks["statistic"] == pytest.approx(stats.ks_2samp(ref.x, cur.x).statistic, abs=0.005)


def test_profile_from_feature_store_statistics(tmp_path, rng):
    store = fo.FeatureStore(tmp_path / "store")
    store.register(
        fo.Entity("driver", join_keys={"driver_id": "int64"}),
        fo.FeatureView("stats", entities=["driver"], features={"rate": "float64"}, timestamp_field="ts"),
    )
    n = 2_000
    frame = pd.DataFrame(
        {
            "driver_id": np.arange(n),
            "ts": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="s"),
            "rate": rng.normal(size=n),
        }
    )
    store.write("stats", frame)
    profile = fd.Profile.from_statistics(store.statistics("stats"))
    report = fd.drift_report(profile, pd.DataFrame({"rate": rng.normal(2, 1, size=500)}), columns=["rate"])
    assert report["rate"]["drifted"]


def test_report_exports(rng, tmp_path):
    ref = pd.DataFrame({"x": rng.normal(size=200), "<b>name</b>": rng.choice(["a", "b"], 200)})
    cur = pd.DataFrame({"x": rng.normal(1, 1, size=200), "<b>name</b>": rng.choice(["a", "b"], 200)})
    report = fd.drift_report(ref, cur, correction="benjamini_hochberg")
    frame = report.to_pandas()
    assert list(frame.index) == ["x", "<b>name</b>"]
    assert frame.loc["x", "drifted"]
    assert report.to_polars().height == 2
    assert report.to_arrow().num_rows == 2
    back = fd.DriftReport.from_json(report.to_json())
    assert back.to_dict() == report.to_dict()
    assert pickle.loads(pickle.dumps(report)).to_dict() == report.to_dict()
    html = report._repr_html_()
    assert "<b>name</b>" not in html and "&lt;b&gt;name&lt;/b&gt;" in html
    assert "<svg" in html
    report.save_html(tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert report.histogram_svg("x").startswith("<svg")
    assert "drift" in repr(report)
    assert json.loads(report.to_json())["correction"] == "benjamini_hochberg"


def test_missing_values_and_empty_columns_never_crash():
    # pyarrow keeps NaN as a value (pandas turns it into a null: see below).
    ref = pa.table({"x": pa.array([1.0, 2.0, np.nan, np.inf, 3.0]), "e": pa.array([np.nan] * 5)})
    cur = pa.table({"x": pa.array([1.5, None, -np.inf, 2.5, 2.0]), "e": pa.array([np.nan] * 5)})
    report = fd.drift_report(ref, cur)
    x = report["x"]
    assert (x["reference"]["nan"], x["reference"]["inf"], x["reference"]["tested"]) == (1, 1, 3)
    assert (x["current"]["nulls"], x["current"]["inf"], x["current"]["tested"]) == (1, 1, 3)
    assert report["e"]["reference"]["nan"] == 5
    from_pandas = fd.drift_report(ref.to_pandas(), cur.to_pandas())
    assert from_pandas["x"]["reference"]["nulls"] == 1 and from_pandas["x"]["reference"]["nan"] == 0
    assert report["e"]["status"] == "no_data" and np.isnan(report["e"]["statistic"])
    empty = fd.drift_report(ref, cur.slice(0, 0))
    assert all(c["status"] == "no_data" for c in empty.columns) and not empty.dataset_drifted


def test_errors_are_specific():
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    with pytest.raises(fo.SchemaError, match="c"):
        fd.drift_report(ref, pd.DataFrame({"x": [1.0]}))
    with pytest.raises(fo.SchemaError):
        fd.drift_report(ref, pd.DataFrame({"x": ["1"], "c": ["a"]}))
    with pytest.raises(fo.InvalidParameterError, match="chi_square"):
        fd.drift_report(ref, ref, tests={"c": "ks"})
    with pytest.raises(fo.InvalidParameterError, match="unknown drift test"):
        fd.drift_report(ref, ref, numeric_test="kolmogorov")
    with pytest.raises(fo.InvalidParameterError, match="correction"):
        fd.drift_report(ref, ref, correction="holm")
    with pytest.raises(fo.InvalidParameterError, match="share_threshold"):
        fd.drift_report(ref, ref, share_threshold=0)
    with pytest.raises(fo.DataError):
        fd.ks_2samp([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(fo.FerropsError):
        fd.ks_2samp([], [1.0])
    with pytest.raises(fo.FerropsError):
        fd.Profile.from_json("{not json")


def test_model_monitor_drift_and_windowed_performance(rng):
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, log_loss

    n = 3_000
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    y = np.where(x + 0.3 * z + rng.normal(0, 0.5, n) > 0, "yes", "no")
    train = pd.DataFrame({"x": x, "z": z, "y": y})
    pipe = fo.Pipeline([fo.StandardScaler()], fo.LogisticRegression()).fit(train.drop(columns="y"), train["y"])
    monitor = fd.ModelMonitor(pipe, train)
    assert monitor.feature_profile.columns == ["x", "z"]
    assert monitor.prediction_profile.columns == ["prediction", "proba_no", "proba_yes"]
    same = monitor.check(train.sample(1_000, random_state=1))
    assert not same.drifted
    shifted = train.assign(x=train.x + 1.5)
    report = monitor.check(shifted)
    assert report.features.drifted_columns == ["x"]
    assert "prediction" in report.predictions.drifted_columns and report.drifted
    with pytest.raises(fo.FerropsError, match="record labelled rows"):
        monitor.performance()
    # The window keeps the last 1,000 labelled rows: after 1,500, rows 500..1500.
    monitor.record(train.iloc[:1_000], "y")
    perf = monitor.record(train.iloc[1_000:1_500], "y")
    assert (perf["rows"], perf["seen"]) == (1_000, 1_500)
    window = train.iloc[500:1_500]
    predicted = pipe.predict(window.drop(columns="y"))
    proba = pipe.predict_proba(window.drop(columns="y"))
    # scikit-learn's metrics on the same window.
    assert perf["metrics"]["accuracy"] == pytest.approx(accuracy_score(window.y, predicted), rel=1e-12)
    assert perf["metrics"]["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(window.y, predicted), rel=1e-12
    )
    assert perf["metrics"]["f1_macro"] == pytest.approx(f1_score(window.y, predicted, average="macro"), rel=1e-12)
    assert perf["metrics"]["log_loss"] == pytest.approx(log_loss(window.y, proba, labels=["no", "yes"]), rel=1e-9)
    with pytest.raises(fo.SchemaError):
        monitor.record(train.drop(columns="y"), "y")
    with pytest.raises(fo.SchemaError):
        monitor.check(train.drop(columns="x"))


def test_also_measures_match_scipy_and_leave_the_verdict_alone(rng):
    ref = pd.DataFrame({"x": rng.normal(size=3_000), "c": rng.choice(["a", "b", "c"], 3_000)})
    cur = pd.DataFrame({"x": rng.normal(0.1, 1, size=2_000), "c": rng.choice(["a", "b", "c"], 2_000)})
    plain = fd.drift_report(ref, cur)
    report = fd.drift_report(ref, cur, also=["ks", "wasserstein", "psi", "chi_square"])
    assert [c["drifted"] for c in report.columns] == [c["drifted"] for c in plain.columns]
    x = {m["test"]: m for m in report["x"]["also"]}
    ks = stats.ks_2samp(ref.x, cur.x)
    assert x["ks"]["statistic"] == pytest.approx(ks.statistic, rel=1e-12)
    assert x["ks"]["p_value"] == pytest.approx(ks.pvalue, rel=1e-8)
    assert x["wasserstein"]["statistic"] == pytest.approx(stats.wasserstein_distance(ref.x, cur.x), rel=1e-12)
    assert set(x) == {"ks", "wasserstein", "psi", "chi_square"}
    # Numeric-only tests are skipped on a categorical column.
    assert {m["test"] for m in report["c"]["also"]} == {"psi", "chi_square"}
