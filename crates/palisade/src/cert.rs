//! `palisade cert dev`: a self-signed development certificate.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

pub(crate) fn dev(data_dir: &Path, names: &[String]) -> anyhow::Result<ExitCode> {
    let dir = data_dir.join("certs");
    let source = palisade_tls::generate_dev_certificate(&dir, names).with_context(|| {
        format!(
            "cannot write a development certificate to {}",
            dir.display()
        )
    })?;
    println!("certificate: {}", source.cert_file.display());
    println!("private key: {}", source.key_file.display());
    println!("self-signed, for development only: clients must be told to trust it explicitly");
    Ok(ExitCode::SUCCESS)
}
