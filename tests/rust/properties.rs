//! Property tests: round trips (artifact, bytes) and transform invariants on random tables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray};
use arrow::datatypes::Float64Type;
use arrow::record_batch::RecordBatch;
use ferrops::data::table::value_at;
use ferrops::features::OneHotUnknown;
use ferrops::prelude::*;
use proptest::prelude::*;

/// A table of `x` (floats, some missing), `c` (3 categories) and a binary label with both classes.
fn table_strategy() -> impl Strategy<Value = RecordBatch> {
    (8usize..60).prop_flat_map(|n| {
        (
            prop::collection::vec(prop::option::weighted(0.85, -1e3f64..1e3), n),
            prop::collection::vec(0usize..3, n),
            prop::collection::vec(any::<bool>(), n),
        )
            .prop_map(|(x, c, y)| {
                let mut y = y;
                y[0] = true;
                y[1] = false;
                let mut x = x;
                x[0] = Some(1.0);
                x[1] = Some(-1.0); // at least two distinct observed values
                let cities = ["a", "b", "c"];
                RecordBatch::try_from_iter([
                    ("x", Arc::new(Float64Array::from(x)) as ArrayRef),
                    (
                        "c",
                        Arc::new(StringArray::from(
                            c.iter().map(|&i| cities[i]).collect::<Vec<_>>(),
                        )) as ArrayRef,
                    ),
                    (
                        "y",
                        Arc::new(StringArray::from(
                            y.iter()
                                .map(|&b| if b { "yes" } else { "no" })
                                .collect::<Vec<_>>(),
                        )) as ArrayRef,
                    ),
                ])
                .unwrap()
            })
    })
}

fn pipeline() -> Pipeline {
    Pipeline::new()
        .transform(SimpleImputer::mean(["x"]))
        .transform(StandardScaler::new(["x"]))
        .transform(OneHotEncoder::new(["c"]).handle_unknown(OneHotUnknown::Ignore))
        .train(LogisticRegression::default())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn save_load_and_bytes_round_trips_predict_identically(table in table_strategy()) {
        let fitted = pipeline().fit(&table, "y").unwrap();
        let dir = tempfile::tempdir().unwrap();
        fitted.save(dir.path().join("m")).unwrap();
        let loaded = FittedPipeline::load(dir.path().join("m")).unwrap();
        let from_bytes = FittedPipeline::from_bytes(&fitted.to_bytes().unwrap()).unwrap();
        let expected = fitted.predict_proba(&table).unwrap();
        prop_assert_eq!(&loaded.predict_proba(&table).unwrap(), &expected);
        prop_assert_eq!(&from_bytes.predict_proba(&table).unwrap(), &expected);
    }

    #[test]
    fn transforms_preserve_rows_and_single_rows_match(table in table_strategy()) {
        let fitted = pipeline().fit(&table, "y").unwrap();
        let out = fitted.transform(&table).unwrap();
        prop_assert_eq!(out.num_rows(), table.num_rows());
        prop_assert_eq!(out.num_columns(), fitted.feature_names_out().len());
        // Imputed + scaled x: no missing value, mean 0.
        let x = out.column(0).as_primitive::<Float64Type>();
        prop_assert_eq!(x.null_count(), 0);
        let mean = x.values().iter().sum::<f64>() / x.len() as f64;
        prop_assert!(mean.abs() < 1e-9, "mean {}", mean);
        // Each one-hot row has exactly one 1.
        for i in 0..out.num_rows() {
            let ones: f64 = (1..out.num_columns()).map(|j| out.column(j).as_primitive::<Float64Type>().value(i)).sum();
            prop_assert_eq!(ones, 1.0);
        }
        let proba = fitted.predict_proba(&table).unwrap();
        for i in 0..table.num_rows() {
            let row = vec![value_at(table.column(0), i).unwrap(), value_at(table.column(1), i).unwrap()];
            let (_, p) = fitted.predict_row(row).unwrap();
            prop_assert_eq!(p.unwrap(), proba.row(i).to_vec());
        }
    }
}

#[test]
fn unknown_category_is_ignored_or_an_error_as_configured() {
    let table = RecordBatch::try_from_iter([
        (
            "x",
            Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])) as ArrayRef,
        ),
        (
            "c",
            Arc::new(StringArray::from(vec!["a", "b", "a", "b"])) as ArrayRef,
        ),
        (
            "y",
            Arc::new(StringArray::from(vec!["no", "yes", "no", "yes"])) as ArrayRef,
        ),
    ])
    .unwrap();
    let strict = Pipeline::new()
        .transform(OneHotEncoder::new(["c"]))
        .train(LogisticRegression::default())
        .fit(&table, "y")
        .unwrap();
    let row = vec![Value::Float(1.0), Value::from("zzz")];
    let err = strict.predict_row(row.clone()).unwrap_err();
    assert!(
        matches!(err, Error::UnknownCategory { ref value, .. } if value == "zzz"),
        "{err}"
    );
    let lenient = pipeline().fit(&table, "y").unwrap();
    assert!(lenient.predict_row(row).is_ok());
}
