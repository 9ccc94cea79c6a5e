//! The exit codes of the `impact` binary (SPEC 6), defined once for every subcommand.

use std::process::ExitCode;

/// How a run of `impact` ended, as the process exit code a script branches on.
///
/// Every subcommand ends with one of these, so that `impact ... || case $? in ...` means the
/// same thing whichever command ran.
///
/// ```ignore
/// // The binary's own modules are not a library, so this example is not compiled.
/// assert_eq!(Exit::Usage.code(), 2);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Exit {
    /// 0: the command did what was asked (for `explain`: a report was printed, whatever the
    /// body held).
    Success,
    /// 1: the API answered with an error, after any retries.
    ApiError,
    /// 2: a usage or configuration error: a bad flag or value, an unreadable input, missing
    /// credentials, a refused base URL.
    Usage,
    /// 3: a transport failure or a timeout.
    Transport,
    /// 4: rate limited beyond the allowed wait.
    RateLimited,
}

impl Exit {
    /// The numeric exit code of SPEC 6.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::ApiError => 1,
            Exit::Usage => 2,
            Exit::Transport => 3,
            Exit::RateLimited => 4,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    fn check(exit: Exit, expect: u8) {
        assert_eq!(exit.code(), expect, "{exit:?}");
    }

    #[test]
    fn codes_follow_spec_6() {
        check(Exit::Success, 0);
        check(Exit::ApiError, 1);
        check(Exit::Usage, 2);
        check(Exit::Transport, 3);
        check(Exit::RateLimited, 4);
    }
}
