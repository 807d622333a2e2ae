//! The append-only alias log: every alias move is one event, numbered without gaps;
//! aliases, their rollback stacks and "which version at time T" are replays of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What an alias event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasAction {
    /// The alias was pointed at a version (`set_alias`, promote).
    Set,
    /// The alias went back to its previous target (`rollback`).
    Rollback,
    /// The alias was removed.
    Delete,
}

impl AliasAction {
    /// The action's name.
    pub fn name(self) -> &'static str {
        match self {
            AliasAction::Set => "set",
            AliasAction::Rollback => "rollback",
            AliasAction::Delete => "delete",
        }
    }
}

/// One alias move: the audit trail's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasEvent {
    /// Position in the model's log: 1, 2, 3… without gaps.
    pub seq: u64,
    /// The alias moved.
    pub alias: String,
    /// What was done.
    pub action: AliasAction,
    /// The version it pointed at before (`None`: unset).
    pub from: Option<u64>,
    /// The version it points at after (`None`: unset).
    pub to: Option<u64>,
    /// SHA-256 of the target version's record, pinned at the move.
    #[serde(default)]
    pub to_record_sha256: Option<String>,
    /// Who moved it.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When (µs since the epoch, UTC); never earlier than the event before it.
    pub at_micros: i64,
    /// SHA-256 of the previous entry as stored (`None` for the first): the entries form
    /// a hash chain, so an entry edited or removed in the middle of the log is refused
    /// on replay.
    #[serde(default)]
    pub prev_sha256: Option<String>,
}

impl AliasEvent {
    /// The event time as RFC 3339 text (UTC).
    pub fn at(&self) -> String {
        super::micros_to_rfc3339(self.at_micros)
    }
}

/// What the caller expects an alias to point at before a compare-and-swap move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expected {
    /// Move it whatever it points at (no compare).
    Any,
    /// Only if the alias is unset.
    Absent,
    /// Only if the alias points at this version.
    Version(u64),
}

impl Expected {
    /// From an optional current version: `None` → [`Expected::Absent`].
    pub fn from_current(current: Option<u64>) -> Expected {
        match current {
            Some(v) => Expected::Version(v),
            None => Expected::Absent,
        }
    }

    fn holds(self, current: Option<u64>) -> bool {
        match self {
            Expected::Any => true,
            Expected::Absent => current.is_none(),
            Expected::Version(v) => current == Some(v),
        }
    }

    fn describe(self) -> String {
        match self {
            Expected::Any => "anything".into(),
            Expected::Absent => "unset".into(),
            Expected::Version(v) => format!("version {v}"),
        }
    }
}

/// One alias's state: its stack of targets (the top is current).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AliasState {
    /// Targets, oldest first; `None` entries are deletions (a rollback restores past them).
    pub(crate) stack: Vec<(Option<u64>, Option<String>)>,
}

impl AliasState {
    pub(crate) fn current(&self) -> Option<u64> {
        self.stack.last().and_then(|(v, _)| *v)
    }

    pub(crate) fn current_sha(&self) -> Option<&str> {
        self.stack.last().and_then(|(_, s)| s.as_deref())
    }

    /// The target a rollback would move to (the entry under the top), if any.
    pub(crate) fn previous(&self) -> Option<&(Option<u64>, Option<String>)> {
        self.stack.len().checked_sub(2).and_then(|i| self.stack.get(i))
    }
}

/// The replayed log of one model.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogState {
    pub(crate) events: Vec<AliasEvent>,
    pub(crate) aliases: BTreeMap<String, AliasState>,
    /// SHA-256 of the last entry's stored bytes.
    pub(crate) last_sha256: Option<String>,
}

impl LogState {
    /// The sequence number the next event gets.
    pub(crate) fn next_seq(&self) -> u64 {
        self.events.len() as u64 + 1
    }

    /// Apply one event read from (or just written to) storage as `bytes`; events must
    /// come in order and name the previous entry's hash.
    pub(crate) fn apply(&mut self, event: AliasEvent, bytes: &[u8]) -> Result<()> {
        if event.prev_sha256 != self.last_sha256 {
            return Err(Error::Store {
                location: format!("alias log entry {}", event.seq),
                reason: format!(
                    "it names previous entry hash {:?} but the previous entry hashes to {:?}: the log was edited or an entry removed; restore it from a backup",
                    event.prev_sha256, self.last_sha256
                ),
            });
        }
        if event.seq != self.next_seq() {
            return Err(Error::Store {
                location: format!("alias log entry {}", event.seq),
                reason: format!(
                    "out of order (expected entry {}); the log was edited by hand",
                    self.next_seq()
                ),
            });
        }
        apply_to(&mut self.aliases, &event);
        self.events.push(event);
        self.last_sha256 = Some(crate::pipeline::artifact::sha256_hex(bytes));
        Ok(())
    }

    /// The time of the last event (events never go back in time).
    pub(crate) fn last_micros(&self) -> i64 {
        self.events.last().map_or(i64::MIN, |e| e.at_micros)
    }

    /// The alias's state.
    pub(crate) fn alias(&self, alias: &str) -> Option<&AliasState> {
        self.aliases.get(alias)
    }

    /// Check `expected` against the alias's current target.
    pub(crate) fn check_expected(&self, model: &str, alias: &str, expected: Expected) -> Result<()> {
        let current = self.alias(alias).and_then(AliasState::current);
        if expected.holds(current) {
            return Ok(());
        }
        let last = self.events.iter().rev().find(|e| e.alias == alias);
        Err(Error::AliasConflict {
            model: model.to_string(),
            alias: alias.to_string(),
            expected: expected.describe(),
            found: current.map_or_else(|| "unset".to_string(), |v| format!("version {v}")),
            last_move: last.map_or_else(
                || "never moved".to_string(),
                |e| format!("moved by {} at {} ({})", e.actor, e.at(), e.reason),
            ),
        })
    }

    /// The alias's target at `at_micros` (inclusive), replaying events up to then.
    pub(crate) fn target_at(&self, alias: &str, at_micros: i64) -> Option<u64> {
        let mut aliases: BTreeMap<String, AliasState> = BTreeMap::new();
        for event in self.events.iter().take_while(|e| e.at_micros <= at_micros) {
            if event.alias == alias {
                apply_to(&mut aliases, event);
            }
        }
        aliases.get(alias).and_then(AliasState::current)
    }
}

fn apply_to(aliases: &mut BTreeMap<String, AliasState>, event: &AliasEvent) {
    let state = aliases.entry(event.alias.clone()).or_default();
    match event.action {
        AliasAction::Set => state.stack.push((event.to, event.to_record_sha256.clone())),
        AliasAction::Delete => state.stack.push((None, None)),
        AliasAction::Rollback => {
            state.stack.pop();
            // A rollback event names its target; replaying from storage keeps the
            // recorded target even if the stack disagrees (a log written by hand).
            if state.current() != event.to {
                state.stack.push((event.to, event.to_record_sha256.clone()));
            }
        }
    }
}
