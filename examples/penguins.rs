//! The main job: ingest a real dataset, fit a pipeline, evaluate it on held-out rows,
//! save it as a verified artifact, load it back and serve single rows.
//!
//! Run from the repository root: `cargo run --release -p ferrops --example penguins`.
//!
//! Data: `examples/data/penguins.csv`, the Palmer penguins (Horst, Hill & Gorman, 2020;
//! CC0), copied from the `palmerpenguins` package on PyPI. See `examples/data/README.md`.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::time::Instant;

use arrow::array::{Array, AsArray, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use ferrops::prelude::*;

fn main() -> ferrops::Result<()> {
    // The repository root (this example belongs to crates/core).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap_or(Path::new("."));
    let data = root.join("examples/data/penguins.csv");

    // 1. Ingest: "NA" marks a missing value in this file.
    let table = read_csv(&data, &CsvOptions::default().with_null_values(["NA"]))?;
    println!(
        "read {} rows x {} columns from {}",
        table.num_rows(),
        table.num_columns(),
        data.display()
    );
    for field in table.schema().fields() {
        let nulls = table.column_by_name(field.name()).map_or(0, |c| c.null_count());
        println!(
            "  {:<18} {:<8} {} missing",
            field.name(),
            field.data_type().to_string(),
            nulls
        );
    }

    // 2. A deterministic 70/30 split (every row's fate depends only on its index).
    let in_train: Vec<bool> = (0..table.num_rows()).map(|i| (i * 7919 + 13) % 10 < 7).collect();
    let train = filter_record_batch(&table, &BooleanArray::from(in_train.clone()))?;
    let test_mask: Vec<bool> = in_train.iter().map(|t| !t).collect();
    let test = filter_record_batch(&table, &BooleanArray::from(test_mask))?;
    println!(
        "\nsplit: {} training rows, {} held-out rows",
        train.num_rows(),
        test.num_rows()
    );

    // 3. Fit: impute the measurements, scale every numeric column (year too), one-hot the island and sex (a missing
    //    sex is its own category), multinomial logistic regression on the species.
    let numeric = [
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    ];
    let pipeline = Pipeline::new()
        .transform(SimpleImputer::median(numeric))
        .transform(StandardScaler::new(Columns::AllNumeric))
        .transform(OneHotEncoder::new(["island", "sex"]))
        .train(LogisticRegression::default());
    let started = Instant::now();
    let fitted = pipeline.fit(&train, "species")?;
    println!(
        "fitted in {:.1} ms; model inputs: {:?}",
        started.elapsed().as_secs_f64() * 1e3,
        fitted.feature_names_out()
    );

    // 4. Evaluate on the held-out rows.
    let accuracy = accuracy(&fitted, &test)?;
    println!("held-out accuracy: {:.3} ({} rows)", accuracy, test.num_rows());

    // 5. Save as a verified artifact, load it back, check it predicts the same.
    let out = root.join("examples/output/penguins-model");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|source| Error::Io {
            path: out.clone(),
            source,
        })?;
    }
    let manifest = fitted.save(&out)?;
    println!(
        "\nsaved to {} (format {}):",
        out.display(),
        manifest.format_version
    );
    for (file, hash) in &manifest.files {
        println!("  {file:<36} sha256 {}…", &hash[..16]);
    }
    let loaded = FittedPipeline::load(&out)?;
    let same = loaded.predict_proba(&test)? == fitted.predict_proba(&test)?;
    println!("reloaded (every hash verified); identical predictions: {same}");
    if !same {
        return Err(Error::InvalidData(
            "the reloaded pipeline predicts differently".into(),
        ));
    }

    // 6. Serve one penguin, without building an Arrow batch.
    let row = [
        ("island", Value::from("Biscoe")),
        ("bill_length_mm", Value::Float(48.6)),
        ("bill_depth_mm", Value::Float(16.0)),
        ("flipper_length_mm", Value::Int(230)),
        ("body_mass_g", Value::Int(5800)),
        ("sex", Value::Null),
        ("year", Value::Int(2009)),
    ];
    let started = Instant::now();
    let (species, proba) = loaded.predict_named_row(row.iter().cloned())?;
    let micros = started.elapsed().as_secs_f64() * 1e6;
    let classes = loaded.classes().map(|c| c.names()).unwrap_or_default();
    println!("\none penguin (sex unknown) -> {species:?} in {micros:.0} us (first call, cold)");
    if let Some(p) = proba {
        for (c, p) in classes.iter().zip(p) {
            println!("  P({c}) = {p:.4}");
        }
    }
    Ok(())
}

fn accuracy(fitted: &FittedPipeline, table: &RecordBatch) -> ferrops::Result<f64> {
    let predicted = fitted.predict(table)?;
    let truth = ferrops::data::table::column(table, "species")?;
    let (predicted, truth) = (predicted.as_string::<i32>(), truth.as_string::<i32>());
    let hits = (0..truth.len())
        .filter(|&i| predicted.value(i) == truth.value(i))
        .count();
    Ok(hits as f64 / truth.len().max(1) as f64)
}
