//! SQL injection and XSS detection over bytes (libinjection-style). Pure: no I/O.
