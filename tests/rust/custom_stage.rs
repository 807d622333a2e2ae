//! A user-defined stage (the one in examples/custom_stage.rs) plugs into a pipeline,
//! saves and loads like a built-in one, and has its own single-row path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../examples/custom_stage.rs"]
#[allow(dead_code)]
mod custom_stage;

use ferrops::prelude::*;

#[test]
fn custom_stage_round_trips_through_an_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    let (fitted, loaded) = custom_stage::demo(&path).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["stages"][0]["tag"], "example_ratio");
    assert_eq!(
        fitted.feature_names_out(),
        ["mass", "flipper", "mass_per_mm"].map(String::from)
    );
    let rows = [
        vec![Value::Float(5000.0), Value::Float(0.0)],
        vec![Value::Float(3500.0), Value::Float(180.0)],
    ];
    for row in rows {
        assert_eq!(
            fitted.predict_row(row.clone()).unwrap(),
            loaded.predict_row(row).unwrap()
        );
    }
    // The ratio falls back, but the raw missing column still reaches the model: a clear error.
    let err = loaded
        .predict_row(vec![Value::Float(5600.0), Value::Null])
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidValue { ref column, ref value, .. } if column == "flipper" && value == "null"),
        "{err}"
    );
    let fitted_ratio = loaded.transforms()[0].clone();
    let json = serde_json::to_string(&fitted_ratio).unwrap();
    assert!(json.contains("\"fallback\""), "{json}");
}
