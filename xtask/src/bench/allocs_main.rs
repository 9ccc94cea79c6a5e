//! The allocation probe of `cargo xtask bench`: counts the heap allocations of retry decisions
//! with `allocation-counter`, which replaces the global allocator of this binary only (the
//! workspace forbids the unsafe code a counting allocator of our own would need, and the
//! counting would slow down every timing of the main binary).
//!
//! Prints `decisions=N allocations=M` on one line.

#[path = "retry_case.rs"]
mod retry_case;

use std::hint::black_box;
use std::process::ExitCode;

use retry_case::{Fixed, Scenario};

/// Decisions counted per scenario.
const DECISIONS: usize = 4096;

fn main() -> ExitCode {
    let mut decisions = 0u64;
    let mut allocations = 0u64;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut inputs = Vec::with_capacity(DECISIONS);
    for scenario in [Scenario::Backoff, Scenario::ServerHint] {
        let fixed = Fixed::new(scenario);
        fixed.prepare(DECISIONS, &mut seed, &mut inputs);
        // Only the decisions are counted: preparing the inputs allocates, on purpose, outside.
        let measured = allocation_counter::measure(|| {
            for input in &mut inputs {
                black_box(fixed.decide(black_box(input)));
            }
        });
        allocations += measured.count_total;
        decisions += DECISIONS as u64;
    }
    // A probe that counted nothing at all would be broken: prove the counter counts.
    let control = allocation_counter::measure(|| {
        black_box(vec![0u8; black_box(16)]);
    });
    if control.count_total == 0 {
        eprintln!("error: the counting allocator is not installed");
        return ExitCode::FAILURE;
    }
    println!("decisions={decisions} allocations={allocations}");
    ExitCode::SUCCESS
}
