//! Compact, exact serde forms of large numeric arrays inside model artifacts.
//!
//! A fitted forest holds millions of node values; as JSON numbers they are large and
//! slow to parse (and JSON has no NaN). These helpers write an array as one string,
//! `"f64le:<base64>"` (IEEE-754 little-endian) or `"u32le:"`/`"u64le:"` for indices,
//! which round-trips every bit (NaN and infinities included) and parses at memory
//! speed. Reading also accepts the plain JSON array that earlier versions wrote, so
//! old artifacts keep loading.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ndarray::Array2;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serializer};

fn decode<E: de::Error>(text: &str, prefix: &str, width: usize) -> Result<Vec<u8>, E> {
    let body = text
        .strip_prefix(prefix)
        .ok_or_else(|| E::custom(format!("expected a `{prefix}` packed array")))?;
    let bytes = STANDARD
        .decode(body)
        .map_err(|e| E::custom(format!("packed array is not valid base64: {e}")))?;
    if bytes.len() % width != 0 {
        return Err(E::custom(format!(
            "packed array has {} bytes, not a multiple of {width}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// `Vec<f64>` as `"f64le:<base64>"`; reads that or a JSON array of numbers.
pub mod f64s {
    use super::*;

    /// Serialize.
    pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(values.len() * 8);
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        s.serialize_str(&format!("f64le:{}", STANDARD.encode(bytes)))
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<f64>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a packed f64 array or an array of numbers")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<f64>, E> {
                let bytes = decode::<E>(text, "f64le:", 8)?;
                Ok(bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<f64>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(v) = seq.next_element::<Option<f64>>()? {
                    // serde_json wrote NaN as null.
                    out.push(v.unwrap_or(f64::NAN));
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// `Vec<usize>` as `"u32le:<base64>"` (or `"u64le:"` when a value needs it); reads
/// those or a JSON array of integers.
pub mod usizes {
    use super::*;

    /// Serialize.
    pub fn serialize<S: Serializer>(values: &[usize], s: S) -> Result<S::Ok, S::Error> {
        let small = values.iter().all(|&v| u32::try_from(v).is_ok());
        let mut bytes = Vec::with_capacity(values.len() * if small { 4 } else { 8 });
        for &v in values {
            if small {
                bytes.extend_from_slice(&(v as u32).to_le_bytes());
            } else {
                bytes.extend_from_slice(&(v as u64).to_le_bytes());
            }
        }
        let prefix = if small { "u32le:" } else { "u64le:" };
        s.serialize_str(&format!("{prefix}{}", STANDARD.encode(bytes)))
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<usize>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<usize>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a packed integer array or an array of integers")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<usize>, E> {
                if text.starts_with("u32le:") {
                    let bytes = decode::<E>(text, "u32le:", 4)?;
                    Ok(bytes
                        .chunks_exact(4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
                        .collect())
                } else {
                    let bytes = decode::<E>(text, "u64le:", 8)?;
                    bytes
                        .chunks_exact(8)
                        .map(|c| {
                            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                            usize::try_from(v)
                                .map_err(|_| E::custom(format!("index {v} does not fit this platform")))
                        })
                        .collect()
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<usize>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(v) = seq.next_element::<usize>()? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// `Array2<f64>` as `{"shape": [rows, cols], "data": "f64le:..."}` (row-major); reads
/// that or ndarray's own form `{"v": 1, "dim": [..], "data": [..]}`.
pub mod array2 {
    use super::*;

    /// Serialize.
    pub fn serialize<S: Serializer>(array: &Array2<f64>, s: S) -> Result<S::Ok, S::Error> {
        struct Data<'a>(&'a Array2<f64>);
        impl serde::Serialize for Data<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let values: Vec<f64> = self.0.iter().copied().collect();
                super::f64s::serialize(&values, s)
            }
        }
        let mut st = s.serialize_struct("Array2", 2)?;
        st.serialize_field("shape", &[array.nrows(), array.ncols()])?;
        st.serialize_field("data", &Data(array))?;
        st.end()
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array2<f64>, D::Error> {
        #[derive(Deserialize)]
        struct Form {
            #[serde(default)]
            shape: Option<[usize; 2]>,
            #[serde(default)]
            dim: Option<[usize; 2]>,
            #[serde(default, rename = "v")]
            _version: Option<u8>,
            #[serde(with = "super::f64s")]
            data: Vec<f64>,
        }
        let form = Form::deserialize(d)?;
        let [rows, cols] = form
            .shape
            .or(form.dim)
            .ok_or_else(|| de::Error::custom("a packed matrix needs `shape`"))?;
        Array2::from_shape_vec((rows, cols), form.data)
            .map_err(|e| de::Error::custom(format!("matrix data does not fit shape {rows}x{cols}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct T {
        #[serde(with = "super::f64s")]
        f: Vec<f64>,
        #[serde(with = "super::usizes")]
        u: Vec<usize>,
        #[serde(with = "super::array2")]
        m: ndarray::Array2<f64>,
    }

    #[test]
    fn round_trips_every_bit_and_reads_the_old_form() {
        let t = T {
            f: vec![0.1, -0.0, f64::INFINITY, f64::MIN_POSITIVE, 1e308],
            u: vec![0, 7, u32::MAX as usize],
            m: ndarray::array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]],
        };
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("f64le:") && json.contains("u32le:"), "{json}");
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert!(back.f[1].is_sign_negative());
        let nan: Vec<f64> = {
            #[derive(Serialize, Deserialize)]
            struct N(#[serde(with = "super::f64s")] Vec<f64>);
            let s = serde_json::to_string(&N(vec![f64::NAN])).unwrap();
            serde_json::from_str::<N>(&s).unwrap().0
        };
        assert!(nan[0].is_nan());
        let big: T = serde_json::from_str(
            &serde_json::to_string(&T {
                u: vec![1 << 40],
                ..back
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(big.u, vec![1 << 40]);
        // Plain JSON arrays and ndarray's own form, as earlier versions wrote them.
        let old = r#"{"f":[0.5,null,2],"u":[1,2],"m":{"v":1,"dim":[1,2],"data":[1.0,2.0]}}"#;
        let t: T = serde_json::from_str(old).unwrap();
        assert_eq!(t.f[0], 0.5);
        assert!(t.f[1].is_nan());
        assert_eq!(t.u, vec![1, 2]);
        assert_eq!(t.m, ndarray::array![[1.0, 2.0]]);
        for bad in [
            r#"{"f":"f64le:!!","u":[],"m":{"shape":[0,0],"data":[]}}"#,
            r#"{"f":"f64le:AAA=","u":[],"m":{"shape":[0,0],"data":[]}}"#,
            r#"{"f":[],"u":[],"m":{"shape":[2,2],"data":[1.0]}}"#,
            r#"{"f":"i8:AA==","u":[],"m":{"shape":[0,0],"data":[]}}"#,
        ] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }
}
