//! Dev-only test helpers: in-process echo origin on 127.0.0.1:0.
