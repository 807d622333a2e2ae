use arrow::datatypes::Schema;
use serde::{Deserialize, Serialize};

use crate::data::table::{index_of, is_bool, is_numeric, is_string, is_temporal};
use crate::error::Result;

/// Which columns a transform acts on, resolved against the table at fit time.
///
/// Like scikit-learn's `ColumnTransformer` selectors: by name, or by type.
///
/// ```
/// use ferrops::features::Columns;
/// let by_name: Columns = ["age", "income"].into();
/// assert_eq!(by_name, Columns::Names(vec!["age".into(), "income".into()]));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Columns {
    /// These columns, which must exist.
    Names(Vec<String>),
    /// Every numeric (integer, float, decimal) column.
    #[default]
    AllNumeric,
    /// Every string column.
    AllString,
    /// Every boolean column.
    AllBool,
    /// Every timestamp or date column.
    AllTemporal,
    /// Every column.
    All,
}

impl Columns {
    /// The concrete column names in `schema`, in schema order for type selections and
    /// in the given order for names.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`](crate::Error::ColumnNotFound) for a named column that is absent.
    pub fn resolve(&self, schema: &Schema) -> Result<Vec<String>> {
        let pick = |keep: fn(&arrow::datatypes::DataType) -> bool| {
            schema
                .fields()
                .iter()
                .filter(|f| keep(f.data_type()))
                .map(|f| f.name().clone())
                .collect()
        };
        Ok(match self {
            Columns::Names(names) => {
                for name in names {
                    index_of(schema, name)?;
                }
                names.clone()
            }
            Columns::AllNumeric => pick(is_numeric),
            Columns::AllString => pick(is_string),
            Columns::AllBool => pick(is_bool),
            Columns::AllTemporal => pick(is_temporal),
            Columns::All => pick(|_| true),
        })
    }
}

impl<S: Into<String>, const N: usize> From<[S; N]> for Columns {
    fn from(names: [S; N]) -> Self {
        Columns::Names(names.into_iter().map(Into::into).collect())
    }
}

impl<S: Into<String>> From<Vec<S>> for Columns {
    fn from(names: Vec<S>) -> Self {
        Columns::Names(names.into_iter().map(Into::into).collect())
    }
}

impl From<&[&str]> for Columns {
    fn from(names: &[&str]) -> Self {
        Columns::Names(names.iter().map(|s| s.to_string()).collect())
    }
}
