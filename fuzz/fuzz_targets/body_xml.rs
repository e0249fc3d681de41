//! Fuzzes the XML parser: must never panic and must respect its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_body::{Limits, xml};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_xml_depth: 64, ..Limits::DEFAULT };
    if let Ok(doc) = xml::parse(data, &limits) {
        assert!(doc.text_nodes().count() + doc.attribute_values().count() <= limits.max_xml_nodes);
    }
});
