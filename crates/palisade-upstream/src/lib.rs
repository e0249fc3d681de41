//! Palisade upstream pools: load balancing, active and passive health, timeouts, retries, TLS to upstream.
