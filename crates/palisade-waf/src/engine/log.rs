//! What a transaction reports: rule matches and the interruption, and their
//! ModSecurity-style error log lines.

use std::fmt::Write as _;
use std::sync::Arc;

use palisade_seclang::Severity;

/// What an interrupting rule asks the gateway to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterruptAction {
    /// Answer with this status.
    Deny {
        /// The HTTP status (`status:` action, default 403).
        status: u16,
    },
    /// Close the connection without an answer.
    Drop,
    /// Redirect.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// The expanded `Location`.
        location: String,
    },
    /// `allow`: stop inspecting and let the request through.
    Allow,
}

/// Why the transaction stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// The rule that interrupted (0 for an engine limit such as the body size).
    pub rule_id: u32,
    /// The phase it happened in.
    pub phase: u8,
    /// What to do.
    pub action: InterruptAction,
    /// The rule's expanded `msg` (or the engine's reason).
    pub message: String,
}

/// One logged rule match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// Rule id.
    pub id: u32,
    /// Phase it matched in.
    pub phase: u8,
    /// Rule file.
    pub file: Arc<str>,
    /// Line of the rule in the file.
    pub line: u32,
    /// Expanded `msg`.
    pub message: String,
    /// Expanded `logdata`.
    pub data: String,
    /// `severity`.
    pub severity: Option<Severity>,
    /// `tag`s.
    pub tags: Vec<Arc<str>>,
    /// `ver`.
    pub ver: Option<Arc<str>>,
    /// `rev`.
    pub rev: Option<Arc<str>>,
    /// The variable that matched last (`ARGS:q`).
    pub matched_var_name: String,
    /// Its (transformed) value, at most 1 KiB.
    pub matched_value: Vec<u8>,
    /// `Pattern match "..." at ARGS:q.` and the like.
    pub operator_message: String,
    /// The disruptive action taken by this match, when the engine enforced one.
    pub action: Option<InterruptAction>,
    /// Whether the engine was enforcing (`SecRuleEngine On`) at the time.
    pub enforced: bool,
}

/// Request facts shown at the end of each error log line.
#[derive(Debug, Clone, Copy)]
pub struct LogContext<'a> {
    /// Client address.
    pub client: &'a str,
    /// Host name of the request.
    pub hostname: &'a str,
    /// Request URI.
    pub uri: &'a str,
    /// Transaction id.
    pub unique_id: &'a str,
}

/// Escapes for a quoted log field: `"` and `\` with a backslash, control and non-ASCII
/// bytes as `\xHH` (so a payload can never forge fields or lines).
pub fn escape_log(s: &[u8], out: &mut String) {
    for &b in s {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

fn field(out: &mut String, name: &str, value: &[u8], max: usize) {
    out.push_str(" [");
    out.push_str(name);
    out.push_str(" \"");
    if value.len() > max {
        escape_log(&value[..max], out);
        out.push_str("...");
    } else {
        escape_log(value, out);
    }
    out.push_str("\"]");
}

impl RuleMatch {
    /// The ModSecurity-compatible error log line for this match:
    /// `[client 1.2.3.4] ModSecurity: Warning. Pattern match ... [file ".."] [line ".."]
    /// [id "942100"] [msg ".."] [data ".."] [severity "CRITICAL"] [ver ".."] [tag ".."]...
    /// [hostname ".."] [uri ".."] [unique_id ".."]`.
    ///
    /// Message and data are cut at 512 bytes; every value is escaped with [`escape_log`].
    pub fn error_log_line(&self, ctx: &LogContext<'_>) -> String {
        let mut out = String::with_capacity(512);
        out.push_str("[client ");
        out.push_str(ctx.client);
        out.push_str("] ModSecurity: ");
        match &self.action {
            Some(InterruptAction::Deny { status }) => {
                let _ = write!(
                    out,
                    "Access denied with code {status} (phase {}). ",
                    self.phase
                );
            }
            Some(InterruptAction::Drop) => {
                let _ = write!(
                    out,
                    "Access denied with connection close (phase {}). ",
                    self.phase
                );
            }
            Some(InterruptAction::Redirect { status, location }) => {
                let mut loc = String::new();
                escape_log(location.as_bytes(), &mut loc);
                let _ = write!(
                    out,
                    "Access denied with redirection to {loc} using status {status} (phase {}). ",
                    self.phase
                );
            }
            Some(InterruptAction::Allow) => {
                let _ = write!(out, "Access allowed (phase {}). ", self.phase);
            }
            None => out.push_str("Warning. "),
        }
        escape_log(self.operator_message.as_bytes(), &mut out);
        field(&mut out, "file", self.file.as_bytes(), 1024);
        let _ = write!(out, " [line \"{}\"]", self.line);
        let _ = write!(out, " [id \"{}\"]", self.id);
        if let Some(r) = &self.rev {
            field(&mut out, "rev", r.as_bytes(), 64);
        }
        if !self.message.is_empty() {
            field(&mut out, "msg", self.message.as_bytes(), 512);
        }
        if !self.data.is_empty() {
            field(&mut out, "data", self.data.as_bytes(), 512);
        }
        if let Some(s) = self.severity {
            field(&mut out, "severity", s.name().as_bytes(), 16);
        }
        if let Some(v) = &self.ver {
            field(&mut out, "ver", v.as_bytes(), 64);
        }
        for t in &self.tags {
            field(&mut out, "tag", t.as_bytes(), 128);
        }
        field(&mut out, "hostname", ctx.hostname.as_bytes(), 256);
        field(&mut out, "uri", ctx.uri.as_bytes(), 1024);
        field(&mut out, "unique_id", ctx.unique_id.as_bytes(), 128);
        out
    }
}
