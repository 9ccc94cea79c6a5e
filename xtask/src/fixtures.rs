//! `cargo xtask fixtures`: placeholder until the fixture generator lands.

pub(crate) fn run(_args: &[String]) -> Result<(), String> {
    let _ = super::project_root();
    Err("fixtures: not implemented yet".to_owned())
}
