//! `cargo xtask simulate`: placeholder until the simulator lands.

pub(crate) fn run(_args: &[String]) -> Result<(), String> {
    Err("simulate: not implemented yet".to_owned())
}
