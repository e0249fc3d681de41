//! Palisade data plane: listeners, routing, upstream pools and health, the request path hooks.
