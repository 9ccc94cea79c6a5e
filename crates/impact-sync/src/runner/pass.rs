//! Passes: one command's sweep over a set of streams, restarted as often as it takes.
//!
//! A stream's own checkpoint says where its run stands, but not whether a stream without a
//! run in progress was finished by this command before a crash (skip it) or by an earlier
//! command (read what changed since). So a pass is numbered and recorded in every stream's
//! checkpoint: marked pending when the pass begins, marked done in the same commit that ends
//! the stream's run. A command that finds a pending stream in the newest pass resumes that
//! pass and reads only the streams not done in it: a crash costs at most the page in flight,
//! never a finished stream read again.

use super::Runner;
use crate::error::SyncError;
use crate::source::Source;
use crate::state::Pass;
use crate::store::Store;
use crate::stream::StreamSpec;

/// What [`Runner::begin_pass`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassStart {
    /// The pass's number.
    pub id: u64,
    /// Whether a pass stopped earlier is resumed.
    pub resumed: bool,
    /// The streams to read, in the order given: every one not done in the pass.
    pub streams: Vec<&'static StreamSpec>,
}

impl<S: Source, St: Store> Runner<S, St> {
    /// Begins a pass over `specs`, or resumes the newest one if a stream of `specs` is still
    /// pending in it, and returns the streams to sync (then [`Runner::sync`] each, and
    /// [`Runner::skip_in_pass`] those to leave out). Every stream returned is recorded as
    /// pending in the pass before this returns, so a crash at any moment after it is resumed.
    ///
    /// A resumed pass reads every stream of `specs` not done in it, including streams that
    /// were not part of it: asking for more streams never skips one.
    pub fn begin_pass(&mut self, specs: &[&'static StreamSpec]) -> Result<PassStart, SyncError> {
        let newest = specs
            .iter()
            .filter_map(|spec| self.store.state(spec.name).pass)
            .map(|pass| pass.id)
            .max()
            .unwrap_or(0);
        let resumed = specs.iter().any(|spec| {
            self.store.state(spec.name).pass
                == Some(Pass {
                    id: newest,
                    done: false,
                })
        });
        let id = if resumed { newest } else { newest + 1 };
        let mut streams = Vec::new();
        for spec in specs {
            let mut state = self.store.state(spec.name);
            if state.pass == Some(Pass { id, done: true }) {
                continue;
            }
            if state.pass != Some(Pass { id, done: false }) {
                state.pass = Some(Pass { id, done: false });
                self.commit(spec, &[], &state)
                    .map_err(|error| error.in_stream(spec.name))?;
            }
            streams.push(*spec);
        }
        Ok(PassStart {
            id,
            resumed,
            streams,
        })
    }

    /// Marks a stream done in its pass without reading it (a stream the token cannot read),
    /// so that a restart of the pass does not try it again.
    pub fn skip_in_pass(&mut self, spec: &'static StreamSpec) -> Result<(), SyncError> {
        let mut state = self.store.state(spec.name);
        let Some(pass) = &mut state.pass else {
            return Ok(());
        };
        if pass.done {
            return Ok(());
        }
        pass.done = true;
        self.commit(spec, &[], &state)
            .map(drop)
            .map_err(|error| error.in_stream(spec.name))
    }
}
