//! Definitions kept in the store: entities (what features describe, by join keys) and
//! feature views (a table of typed features of some entities, by event time).
//!
//! Definitions are stored as readable JSON in the store itself and validated on
//! registration: names that could leave the store, unknown entities, duplicate columns
//! and unsupported types are refused with an error that says what to change.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use super::names::{check_name, check_view_name};
use crate::error::{Error, Result};

/// The time zone every stored timestamp is in.
pub const UTC: &str = "UTC";

/// The type of a join key or feature.
///
/// Stored tables use exactly these Arrow types (strings as `Utf8`, timestamps as
/// microseconds in UTC, Delta Lake's `timestamp`); input batches may carry
/// `LargeUtf8`/`Utf8View` strings and timestamps of any unit and zone, converted on write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// `bool`.
    Bool,
    /// 32-bit integer.
    Int32,
    /// 64-bit integer.
    Int64,
    /// 32-bit float.
    Float32,
    /// 64-bit float.
    Float64,
    /// UTF-8 string.
    String,
    /// Timestamp, microseconds since the epoch, UTC.
    Timestamp,
    /// Calendar date (days since the epoch).
    Date,
}

impl ValueType {
    /// The Arrow type stored for this value type.
    pub fn arrow_type(self) -> DataType {
        match self {
            ValueType::Bool => DataType::Boolean,
            ValueType::Int32 => DataType::Int32,
            ValueType::Int64 => DataType::Int64,
            ValueType::Float32 => DataType::Float32,
            ValueType::Float64 => DataType::Float64,
            ValueType::String => DataType::Utf8,
            ValueType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            ValueType::Date => DataType::Date32,
        }
    }

    /// The value type of an Arrow type, if the store supports it (strings of every
    /// layout, timestamps of every unit and zone).
    pub fn from_arrow(data_type: &DataType) -> Option<ValueType> {
        Some(match data_type {
            DataType::Boolean => ValueType::Bool,
            DataType::Int32 => ValueType::Int32,
            DataType::Int64 => ValueType::Int64,
            DataType::Float32 => ValueType::Float32,
            DataType::Float64 => ValueType::Float64,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ValueType::String,
            DataType::Timestamp(_, _) => ValueType::Timestamp,
            DataType::Date32 => ValueType::Date,
            DataType::Dictionary(_, value)
                if matches!(
                    value.as_ref(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                ValueType::String
            }
            _ => return None,
        })
    }

    /// The name used in definitions and messages (`int64`, `string`, …).
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Bool => "bool",
            ValueType::Int32 => "int32",
            ValueType::Int64 => "int64",
            ValueType::Float32 => "float32",
            ValueType::Float64 => "float64",
            ValueType::String => "string",
            ValueType::Timestamp => "timestamp",
            ValueType::Date => "date",
        }
    }

    /// Parse a name of [`ValueType::name`] (also `int`, `float`, `str`, `datetime`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] listing the accepted names.
    pub fn parse(name: &str) -> Result<ValueType> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => ValueType::Bool,
            "int32" => ValueType::Int32,
            "int64" | "int" => ValueType::Int64,
            "float32" => ValueType::Float32,
            "float64" | "float" | "double" => ValueType::Float64,
            "string" | "str" | "utf8" => ValueType::String,
            "timestamp" | "datetime" => ValueType::Timestamp,
            "date" => ValueType::Date,
            _ => {
                return Err(Error::param(
                    "dtype",
                    name,
                    "one of bool, int32, int64, float32, float64, string, timestamp, date",
                ))
            }
        })
    }
}

impl std::fmt::Display for ValueType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A typed column: a join key or a feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    /// Column name.
    pub name: String,
    /// Its type.
    pub dtype: ValueType,
    /// What it means (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Feature {
    /// A feature of this name and type.
    pub fn new(name: impl Into<String>, dtype: ValueType) -> Self {
        Feature {
            name: name.into(),
            dtype,
            description: None,
        }
    }

    /// With a description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// What features describe (a driver, a customer), identified by its join keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// The entity's name.
    pub name: String,
    /// The key columns that identify one instance (usually one), with their types.
    pub join_keys: Vec<Feature>,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Who owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl Entity {
    /// An entity with one join key.
    pub fn new(name: impl Into<String>, join_key: impl Into<String>, dtype: ValueType) -> Self {
        Entity {
            name: name.into(),
            join_keys: vec![Feature::new(join_key, dtype)],
            description: None,
            tags: BTreeMap::new(),
            owner: None,
        }
    }

    /// An entity identified by several key columns together.
    pub fn with_keys(name: impl Into<String>, join_keys: Vec<Feature>) -> Self {
        Entity {
            name: name.into(),
            join_keys,
            description: None,
            tags: BTreeMap::new(),
            owner: None,
        }
    }

    /// With a description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// With an owner.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// With a tag.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Check the definition on its own.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::Definition`].
    pub fn validate(&self) -> Result<()> {
        check_name("entity", &self.name)?;
        if self.join_keys.is_empty() {
            return Err(self.invalid("it needs at least one join key"));
        }
        let mut seen = BTreeSet::new();
        for key in &self.join_keys {
            check_name("join key", &key.name)?;
            if !seen.insert(key.name.as_str()) {
                return Err(self.invalid(format!("join key `{}` is listed twice", key.name)));
            }
            if matches!(key.dtype, ValueType::Float32 | ValueType::Float64) {
                return Err(self.invalid(format!(
                    "join key `{}` is {}: floats do not compare exactly; use int64 or string",
                    key.name, key.dtype
                )));
            }
        }
        Ok(())
    }

    fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::Definition {
            what: "entity",
            name: self.name.clone(),
            reason: reason.into(),
        }
    }
}

/// A table of features of some entities over time: one Delta Lake table in the store.
///
/// Its columns are the join keys of its entities (in entity order), the event timestamp,
/// the created timestamp if any, then the features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureView {
    /// The view's name (also its table's directory).
    pub name: String,
    /// The entities whose join keys key the rows.
    pub entities: Vec<String>,
    /// The event-timestamp column: when the feature values became true.
    pub timestamp_field: String,
    /// The created-timestamp column: when the row was computed (breaks ties between rows
    /// of the same event time; enables `as_of_created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_timestamp_field: Option<String>,
    /// The features, typed.
    pub features: Vec<Feature>,
    /// How long a value stays valid after its event time, in seconds. `None` or 0:
    /// forever. Enforced offline (point-in-time joins) and online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
    /// What the view holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Who owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl FeatureView {
    /// A view of `features` of `entities`, timed by `timestamp_field`.
    pub fn new(
        name: impl Into<String>,
        entities: impl IntoIterator<Item = impl Into<String>>,
        timestamp_field: impl Into<String>,
        features: Vec<Feature>,
    ) -> Self {
        FeatureView {
            name: name.into(),
            entities: entities.into_iter().map(Into::into).collect(),
            timestamp_field: timestamp_field.into(),
            created_timestamp_field: None,
            features,
            ttl_seconds: None,
            description: None,
            tags: BTreeMap::new(),
            owner: None,
        }
    }

    /// With a created-timestamp column.
    pub fn with_created_timestamp(mut self, column: impl Into<String>) -> Self {
        self.created_timestamp_field = Some(column.into());
        self
    }

    /// With a time to live (seconds; 0 = forever).
    pub fn with_ttl_seconds(mut self, seconds: i64) -> Self {
        self.ttl_seconds = Some(seconds);
        self
    }

    /// With a description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// With an owner.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// With a tag.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// The TTL in microseconds, `None` when unbounded.
    pub fn ttl_micros(&self) -> Option<i64> {
        match self.ttl_seconds {
            Some(s) if s > 0 => Some(s.saturating_mul(1_000_000)),
            _ => None,
        }
    }

    /// The feature of this name.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// Check the definition against the registered entities.
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::NotRegistered`] for an unknown entity, or
    /// [`Error::Definition`] for duplicates, an empty feature list or a negative TTL.
    pub fn validate(&self, entities: &BTreeMap<String, Entity>) -> Result<()> {
        check_view_name(&self.name)?;
        if self.entities.is_empty() {
            return Err(self.invalid("it needs at least one entity"));
        }
        if self.features.is_empty() {
            return Err(self.invalid("it needs at least one feature"));
        }
        if let Some(ttl) = self.ttl_seconds {
            if ttl < 0 {
                return Err(self.invalid(format!(
                    "ttl_seconds is {ttl}; use 0 or none for no TTL, or a positive number of seconds"
                )));
            }
        }
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        let mut claim = |name: &str, role: &'static str| -> Result<()> {
            check_name("column", name)?;
            if let Some(first) = seen.insert(name.to_string(), role) {
                return Err(self.invalid(format!(
                    "column `{name}` is both {first} and {role}: names must be unique"
                )));
            }
            Ok(())
        };
        let mut entity_seen = BTreeSet::new();
        for entity_name in &self.entities {
            if !entity_seen.insert(entity_name.as_str()) {
                return Err(self.invalid(format!("entity `{entity_name}` is listed twice")));
            }
            let entity = entities.get(entity_name).ok_or_else(|| Error::NotRegistered {
                what: "entity",
                name: entity_name.clone(),
                available: entities.keys().cloned().collect(),
            })?;
            for key in &entity.join_keys {
                claim(&key.name, "a join key")?;
            }
        }
        claim(&self.timestamp_field, "the event timestamp")?;
        if let Some(created) = &self.created_timestamp_field {
            claim(created, "the created timestamp")?;
        }
        for feature in &self.features {
            claim(&feature.name, "a feature")?;
        }
        Ok(())
    }

    /// The join keys of the view's entities, in order.
    ///
    /// # Errors
    /// [`Error::NotRegistered`] for an unknown entity.
    pub fn join_keys(&self, entities: &BTreeMap<String, Entity>) -> Result<Vec<Feature>> {
        let mut keys = Vec::new();
        for name in &self.entities {
            let entity = entities.get(name).ok_or_else(|| Error::NotRegistered {
                what: "entity",
                name: name.clone(),
                available: entities.keys().cloned().collect(),
            })?;
            keys.extend(entity.join_keys.iter().cloned());
        }
        Ok(keys)
    }

    /// The Arrow schema of the view's table: keys, event timestamp, created timestamp,
    /// features. Keys and timestamps are not nullable; features are.
    ///
    /// # Errors
    /// [`Error::NotRegistered`] for an unknown entity.
    pub fn table_schema(&self, entities: &BTreeMap<String, Entity>) -> Result<SchemaRef> {
        let mut fields = Vec::new();
        for key in self.join_keys(entities)? {
            fields.push(Field::new(&key.name, key.dtype.arrow_type(), false));
        }
        fields.push(Field::new(
            &self.timestamp_field,
            ValueType::Timestamp.arrow_type(),
            false,
        ));
        if let Some(created) = &self.created_timestamp_field {
            fields.push(Field::new(created, ValueType::Timestamp.arrow_type(), true));
        }
        for feature in &self.features {
            fields.push(Field::new(&feature.name, feature.dtype.arrow_type(), true));
        }
        Ok(Arc::new(Schema::new(fields)))
    }

    fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::Definition {
            what: "feature view",
            name: self.name.clone(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entities() -> BTreeMap<String, Entity> {
        let mut m = BTreeMap::new();
        m.insert(
            "driver".into(),
            Entity::new("driver", "driver_id", ValueType::Int64),
        );
        m
    }

    #[test]
    fn view_validation_names_the_problem() {
        let ok = FeatureView::new(
            "driver_stats",
            ["driver"],
            "event_ts",
            vec![Feature::new("rate", ValueType::Float64)],
        );
        ok.validate(&entities()).unwrap();
        let unknown = FeatureView {
            entities: vec!["rider".into()],
            ..ok.clone()
        };
        assert!(matches!(
            unknown.validate(&entities()),
            Err(Error::NotRegistered { .. })
        ));
        let dup = FeatureView {
            features: vec![Feature::new("driver_id", ValueType::Int64)],
            ..ok.clone()
        };
        let e = dup.validate(&entities()).unwrap_err().to_string();
        assert!(e.contains("driver_id"), "{e}");
        let hostile = FeatureView {
            name: "../etc".into(),
            ..ok.clone()
        };
        assert!(matches!(
            hostile.validate(&entities()),
            Err(Error::InvalidName { .. })
        ));
        let neg = ok.clone().with_ttl_seconds(-1);
        assert!(neg.validate(&entities()).is_err());
        let schema = ok.table_schema(&entities()).unwrap();
        assert_eq!(schema.fields().len(), 3);
        let json = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<FeatureView>(&json).unwrap(), ok);
    }

    #[test]
    fn float_join_keys_are_refused() {
        let e = Entity::new("x", "k", ValueType::Float64);
        assert!(e.validate().is_err());
    }
}
