use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use arrow::csv::reader::Format;
use arrow::csv::ReaderBuilder;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A stream of record batches that may fail per batch.
pub type BatchIter = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// How to read a CSV file.
///
/// | option | default | purpose |
/// |---|---|---|
/// | `delimiter` | `b','` | field separator |
/// | `has_header` | `true` | first line holds column names |
/// | `null_values` | `["", "NA", "N/A", "NaN", "null", "?"]` | tokens read as null (exact match after trimming nothing) |
/// | `infer_rows` | `Some(10_000)` | rows read to infer the schema (`None`: all) |
/// | `batch_size` | `65_536` | rows per batch when streaming |
/// | `schema` | `None` | a fixed schema instead of inference |
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CsvOptions {
    /// Field separator.
    pub delimiter: u8,
    /// Whether the first line holds column names.
    pub has_header: bool,
    /// Tokens read as null.
    pub null_values: Vec<String>,
    /// Rows read to infer the schema; `None` reads them all.
    pub infer_rows: Option<usize>,
    /// Rows per batch when streaming.
    pub batch_size: usize,
    /// A fixed schema; when set, no inference happens.
    #[serde(skip)]
    pub schema: Option<SchemaRef>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            has_header: true,
            null_values: ["", "NA", "N/A", "NaN", "null", "?"].map(String::from).to_vec(),
            infer_rows: Some(10_000),
            batch_size: 65_536,
            schema: None,
        }
    }
}

impl CsvOptions {
    /// Replace the null tokens.
    pub fn with_null_values<I, S>(mut self, tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.null_values = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Set the field separator.
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    fn format(&self) -> Result<Format> {
        let mut format = Format::default()
            .with_header(self.has_header)
            .with_delimiter(self.delimiter);
        if !self.null_values.is_empty() {
            let alternatives: Vec<String> = self.null_values.iter().map(|t| regex::escape(t)).collect();
            let pattern = format!("^(?:{})$", alternatives.join("|"));
            let regex = regex::Regex::new(&pattern)
                .map_err(|e| Error::param("null_values", format!("{:?}", self.null_values), e.to_string()))?;
            format = format.with_null_regex(regex);
        }
        Ok(format)
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn csv_error(path: &Path, e: impl std::fmt::Display) -> Error {
    let mut reason = e.to_string();
    if reason.contains("UTF-8") || reason.contains("utf-8") || reason.contains("utf8") {
        reason.push_str(" (ferrops reads UTF-8 CSV: re-encode the file, e.g. `iconv -f latin1 -t utf-8`)");
    }
    Error::Read {
        path: path.to_path_buf(),
        format: "CSV",
        reason,
    }
}

/// Stream a CSV file as batches of `options.batch_size` rows, in bounded memory.
///
/// The schema is inferred from the first `options.infer_rows` rows unless
/// `options.schema` is set. Cells equal to one of `options.null_values` are null.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Read`] if it is not valid
/// UTF-8 CSV or a value does not parse as its column's type (the error names the line).
pub fn csv_batches(path: impl AsRef<Path>, options: &CsvOptions) -> Result<(SchemaRef, BatchIter)> {
    let path = path.as_ref();
    let format = options.format()?;
    let mut file = open(path)?;
    let schema = match &options.schema {
        Some(schema) => schema.clone(),
        None => {
            let (schema, _) = format
                .infer_schema(&mut file, options.infer_rows)
                .map_err(|e| csv_error(path, e))?;
            file.seek(SeekFrom::Start(0)).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            std::sync::Arc::new(schema)
        }
    };
    if options.batch_size == 0 {
        return Err(Error::param("batch_size", 0, "must be at least 1"));
    }
    let reader = ReaderBuilder::new(schema.clone())
        .with_format(format)
        .with_batch_size(options.batch_size)
        .build(file)
        .map_err(|e| csv_error(path, e))?;
    let owned: PathBuf = path.to_path_buf();
    Ok((
        schema,
        Box::new(reader.map(move |b| b.map_err(|e| csv_error(&owned, e)))),
    ))
}

/// Read a whole CSV file into one table. See [`csv_batches`] for the options and errors.
///
/// ```
/// # fn main() -> ferrops::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// std::fs::write(&path, "x,city\n1.5,a\n?,b\n").unwrap();
/// let table = ferrops::data::read_csv(&path, &Default::default())?;
/// assert_eq!(table.num_rows(), 2);
/// assert_eq!(table.column(0).null_count(), 1); // "?" is a null token by default
/// # Ok(()) }
/// ```
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<RecordBatch> {
    let (schema, batches) = csv_batches(path, options)?;
    let batches = batches.collect::<Result<Vec<_>>>()?;
    Ok(arrow::compute::concat_batches(&schema, &batches)?)
}

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        format: "Parquet",
        reason: e.to_string(),
    }
}

/// Stream a Parquet file as batches of at most `batch_size` rows.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Read`] if it is not a valid
/// Parquet file (truncated, corrupted footer, unsupported type).
pub fn parquet_batches(path: impl AsRef<Path>, batch_size: usize) -> Result<(SchemaRef, BatchIter)> {
    let path = path.as_ref();
    if batch_size == 0 {
        return Err(Error::param("batch_size", 0, "must be at least 1"));
    }
    let file = open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(path, e))?;
    let schema = builder.schema().clone();
    let reader = builder
        .with_batch_size(batch_size)
        .build()
        .map_err(|e| parquet_error(path, e))?;
    let owned = path.to_path_buf();
    Ok((
        schema,
        Box::new(reader.map(move |b| b.map_err(|e| parquet_error(&owned, e)))),
    ))
}

/// Read a whole Parquet file into one table. See [`parquet_batches`] for the errors.
pub fn read_parquet(path: impl AsRef<Path>) -> Result<RecordBatch> {
    let (schema, batches) = parquet_batches(path, 65_536)?;
    let batches = batches.collect::<Result<Vec<_>>>()?;
    Ok(arrow::compute::concat_batches(&schema, &batches)?)
}
