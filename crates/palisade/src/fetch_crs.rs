//! `palisade rules fetch-crs`: download, verify and install the pinned OWASP CRS release.
//!
//! The archive (downloaded with explicit caps, or read from a local file) is spooled to an
//! anonymous temporary file while its SHA-256 is computed, then unpacked into a staging
//! folder beside the destination. Only the top-level `coreruleset-<version>/` folder is
//! stripped; absolute paths, `..`, links and special files are refused. The files Palisade
//! uses (`rules/`, `crs-setup.conf.example`, `LICENSE`) are checked against the content
//! manifest compiled into the binary (`crs_manifest.txt`: paths and SHA-256 only); on any
//! difference nothing is installed. The verified staging folder then takes the place of the
//! destination by rename (an atomic exchange on Linux), so a reader sees the old install or
//! the new one, never a mix.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// The content manifest: `#: key value` header lines, then `sha256sum` lines.
const MANIFEST: &str = include_str!("crs_manifest.txt");

/// Where the pinned release is downloaded from unless `--url` says otherwise.
const DEFAULT_URL: &str =
    "https://github.com/coreruleset/coreruleset/archive/refs/tags/v4.28.0.tar.gz";

/// Arguments of `palisade rules fetch-crs`.
#[derive(Debug, clap::Args)]
pub(crate) struct FetchCrsArgs {
    /// Install into DIR, replacing a previous CRS install there (default: `<data dir>/crs`,
    /// where `palisade serve` looks for CRS).
    #[arg(long, value_name = "DIR")]
    dest: Option<PathBuf>,
    /// Data folder; CRS goes to DIR/crs (default: the config's `data_dir`, else ./data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Config file: install where `palisade serve --config FILE` looks (`waf.crs_dir`,
    /// else `<data_dir>/crs`).
    #[arg(long, short = 'c', value_name = "FILE", env = "PALISADE_CONFIG")]
    config: Option<PathBuf>,
    /// Download from URL (a mirror) instead of the CRS project's GitHub release.
    #[arg(long, value_name = "URL", conflicts_with = "archive")]
    url: Option<String>,
    /// Install from a release archive (.tar.gz) downloaded before; works offline.
    #[arg(long, value_name = "FILE")]
    archive: Option<PathBuf>,
    /// Also require the archive file itself to have this SHA-256 (64 hex digits; the
    /// command prints the value to pin).
    #[arg(long, value_name = "HEX")]
    sha256: Option<String>,
}

/// Every bound the command applies to the network and to the archive.
#[derive(Debug, Clone)]
struct Limits {
    /// Largest archive accepted, compressed (the release is far smaller).
    archive_bytes: u64,
    /// Largest total of decompressed tar bytes (headers and data).
    unpacked_bytes: u64,
    /// Most tar entries.
    entries: u64,
    /// Largest pax global header read (GitHub's holds the commit id).
    global_header_bytes: u64,
    /// Most HTTP redirects followed (GitHub redirects once, to its archive host).
    redirects: usize,
    /// TCP + TLS connect timeout.
    connect_timeout: Duration,
    /// Longest wait for the next bytes of the response.
    read_timeout: Duration,
    /// Longest whole download.
    total_timeout: Duration,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        archive_bytes: 64 << 20,
        unpacked_bytes: 256 << 20,
        entries: 20_000,
        global_header_bytes: 64 << 10,
        redirects: 5,
        connect_timeout: Duration::from_secs(30),
        read_timeout: Duration::from_secs(60),
        total_timeout: Duration::from_secs(600),
    };
}

/// The release the binary pins: its version, commit and the SHA-256 of every file used.
#[derive(Debug)]
struct Manifest {
    version: String,
    commit: String,
    files: BTreeMap<String, [u8; 32]>,
}

impl Manifest {
    /// The manifest compiled into the binary.
    fn builtin() -> anyhow::Result<Manifest> {
        Manifest::parse(MANIFEST).map_err(|e| anyhow::anyhow!("the built-in CRS manifest: {e}"))
    }

    fn parse(text: &str) -> Result<Manifest, String> {
        let mut version = None;
        let mut commit = None;
        let mut files = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let n = n + 1;
            if let Some(field) = line.strip_prefix("#:") {
                match field.trim().split_once(' ') {
                    Some(("version", v)) => version = Some(v.trim().to_owned()),
                    Some(("commit", v)) => commit = Some(v.trim().to_owned()),
                    _ => return Err(format!("line {n}: unknown field `{line}`")),
                }
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some((hash, path)) = line.split_once("  ") else {
                return Err(format!("line {n}: expected `<sha256>  <path>`"));
            };
            let digest = parse_sha256(hash).ok_or_else(|| format!("line {n}: bad SHA-256"))?;
            if !Path::new(path)
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
            {
                return Err(format!("line {n}: `{path}` is not a plain relative path"));
            }
            if files.insert(path.to_owned(), digest).is_some() {
                return Err(format!("line {n}: `{path}` is listed twice"));
            }
        }
        let version = version.ok_or("no `#: version` line")?;
        let commit = commit.ok_or("no `#: commit` line")?;
        if files.is_empty() {
            return Err("no files".to_owned());
        }
        Ok(Manifest {
            version,
            commit,
            files,
        })
    }

    /// The folder every entry of the release archive sits in.
    fn top_folder(&self) -> String {
        format!("coreruleset-{}", self.version)
    }
}

/// A difference between the unpacked archive and the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// A manifest file is not in the archive.
    Missing(String),
    /// A manifest file is in the archive with other content.
    Modified {
        path: String,
        expected: [u8; 32],
        found: [u8; 32],
    },
    /// A `.conf` or `.data` file under `rules/` that the release does not have.
    Extra(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing(p) => write!(f, "missing: {p}"),
            Problem::Modified {
                path,
                expected,
                found,
            } => write!(
                f,
                "modified: {path} (sha256 {}, expected {})",
                hex::encode(found),
                hex::encode(expected)
            ),
            Problem::Extra(p) => write!(f, "extra: {p} (not part of the release)"),
        }
    }
}

/// The archive, spooled to an anonymous temporary file.
#[derive(Debug)]
struct Spooled {
    file: File,
    len: u64,
    sha256: [u8; 32],
}

/// Copies an archive into an anonymous temporary file, hashing it, up to a size cap.
struct Spool {
    file: File,
    hasher: Sha256,
    len: u64,
    cap: u64,
}

impl Spool {
    fn new(cap: u64) -> anyhow::Result<Spool> {
        Ok(Spool {
            file: tempfile::tempfile().context("cannot create a temporary file")?,
            hasher: Sha256::new(),
            len: 0,
            cap,
        })
    }

    fn push(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.len += bytes.len() as u64;
        if self.len > self.cap {
            bail!(
                "the archive is larger than {} MiB (the limit); refused",
                self.cap >> 20
            );
        }
        self.hasher.update(bytes);
        self.file
            .write_all(bytes)
            .context("cannot write the temporary file")
    }

    fn finish(mut self) -> anyhow::Result<Spooled> {
        self.file
            .rewind()
            .context("cannot rewind the temporary file")?;
        Ok(Spooled {
            file: self.file,
            len: self.len,
            sha256: self.hasher.finalize().into(),
        })
    }
}

/// What unpacking found.
#[derive(Debug, Default)]
struct Unpacked {
    /// Manifest files and `.conf`/`.data` files under `rules/`, with their SHA-256. Only
    /// manifest files are written to the staging folder.
    files: BTreeMap<String, [u8; 32]>,
    /// Other files under `rules/`, not installed.
    ignored: Vec<String>,
    /// Files outside what Palisade uses (tests, docs, tooling), not installed.
    skipped: u64,
    /// The commit named by the archive's pax global header (GitHub archives have one).
    commit: Option<String>,
}

/// A reader that fails once more than `left` bytes come through, and says so in `hit`.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.hit.set(true);
            return Err(io::Error::other("decompressed size limit reached"));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

pub(crate) fn run(args: FetchCrsArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::builtin()?;
    let limits = Limits::DEFAULT;
    let expected_sha = match &args.sha256 {
        Some(hex) => Some(
            parse_sha256(hex.trim())
                .with_context(|| format!("--sha256 {hex}: expected 64 hex digits"))?,
        ),
        None => None,
    };
    let dest = destination(&args)?;
    check_destination(&dest)?;

    let (source, archive) = match &args.archive {
        Some(path) => (path.display().to_string(), read_local(path, &limits)?),
        None => {
            let url = args.url.as_deref().unwrap_or(DEFAULT_URL);
            (url.to_owned(), download(url, &limits)?)
        }
    };
    let archive_hex = hex::encode(archive.sha256);
    println!("archive: {source} ({} bytes)", archive.len);
    println!("archive sha256: {archive_hex} (pin it with --sha256)");
    if let Some(expected) = expected_sha
        && expected != archive.sha256
    {
        bail!(
            "the archive's SHA-256 is {archive_hex}, not {} (--sha256); nothing was installed",
            hex::encode(expected)
        );
    }

    let parent = parent_of(&dest);
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".crs-staging-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;

    let unpacked = unpack(archive.file, staging.path(), &manifest, &limits)?;
    let problems = verify(&manifest, &unpacked.files);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        bail!(
            "the archive does not hold OWASP CRS v{} as released ({} problem{}); nothing was \
             installed{}",
            manifest.version,
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if dest.exists() {
                format!(", {} is unchanged", dest.display())
            } else {
                String::new()
            }
        );
    }
    match &unpacked.commit {
        Some(c) if *c == manifest.commit => println!("archive commit: {c}"),
        Some(c) => println!(
            "note: the archive names commit {c}, not {}; its content matches the release",
            manifest.commit
        ),
        None => {}
    }
    println!(
        "verified: {} files of OWASP CRS v{} (commit {}) against the built-in manifest",
        manifest.files.len(),
        manifest.version,
        manifest.commit
    );
    for path in &unpacked.ignored {
        println!("not installed: {path} (not a rule or data file)");
    }

    finish_staging(staging.path(), &manifest, &source, &archive_hex, &dest)?;
    swap_into_place(staging, &dest, &parent)?;
    let shown = dest.canonicalize().unwrap_or_else(|_| dest.clone());
    println!("installed: {}", shown.display());
    if let Some(env) = std::env::var_os("PALISADE_CRS_DIR") {
        let env = PathBuf::from(env);
        if env.canonicalize().ok() != Some(shown.clone()) {
            println!(
                "note: PALISADE_CRS_DIR is set ({}); `palisade serve` looks there first",
                env.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--dest`, else the config's `waf.crs_dir`, else `<data dir>/crs` with the data folder
/// chosen as `palisade serve` chooses it.
fn destination(args: &FetchCrsArgs) -> anyhow::Result<PathBuf> {
    if let Some(dest) = &args.dest {
        return Ok(dest.clone());
    }
    let config_data_dir = match &args.config {
        Some(path) => {
            let config = palisade_config::load_file(path).map_err(|d| {
                eprint!("{d}");
                anyhow::anyhow!("{} was not accepted", path.display())
            })?;
            if let Some(dir) = config.waf.crs_dir {
                return Ok(dir);
            }
            Some(config.data_dir)
        }
        None => None,
    };
    let data_dir = args
        .data_dir
        .clone()
        .or(config_data_dir)
        .unwrap_or_else(|| PathBuf::from(palisade_config::defaults::DATA_DIR));
    Ok(data_dir.join("crs"))
}

/// Refuses a destination that is not a previous CRS install (so no user folder is replaced
/// by mistake).
fn check_destination(dest: &Path) -> anyhow::Result<()> {
    let meta = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", dest.display())),
    };
    if meta.file_type().is_symlink() {
        bail!(
            "{} is a symbolic link; give its target with --dest",
            dest.display()
        );
    }
    if !meta.is_dir() {
        bail!("{} exists and is not a folder", dest.display());
    }
    let empty = fs::read_dir(dest)
        .with_context(|| format!("cannot read {}", dest.display()))?
        .next()
        .is_none();
    if !empty && !dest.join("rules").is_dir() {
        bail!(
            "{} exists and is not a CRS install (it has no rules/ folder); refusing to replace it",
            dest.display()
        );
    }
    Ok(())
}

fn parent_of(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn read_local(path: &Path, limits: &Limits) -> anyhow::Result<Spooled> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut spool = Spool::new(limits.archive_bytes)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        spool.push(&buf[..n])?;
    }
    spool.finish()
}

fn download(url: &str, limits: &Limits) -> anyhow::Result<Spooled> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("{url}: not a URL"))?;
    match parsed.scheme() {
        "https" | "http" => {}
        other => bail!("{url}: scheme `{other}` is not supported (http or https)"),
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(limits.redirects))
            // An https URL never follows a redirect to plain http.
            .https_only(parsed.scheme() == "https")
            .connect_timeout(limits.connect_timeout)
            .read_timeout(limits.read_timeout)
            .timeout(limits.total_timeout)
            .build()
            .context("cannot set up the HTTP client")?;
        let mut response = client.get(parsed.clone()).send().await.context(
            "the download failed (offline? download the archive elsewhere and give --archive FILE)",
        )?;
        let status = response.status();
        if !status.is_success() {
            bail!(
                "cannot download {url}: {} answered {status}",
                response.url()
            );
        }
        if let Some(len) = response.content_length()
            && len > limits.archive_bytes
        {
            bail!(
                "{url} is {len} bytes, more than {} MiB (the limit); refused",
                limits.archive_bytes >> 20
            );
        }
        let mut spool = Spool::new(limits.archive_bytes)?;
        while let Some(chunk) = response.chunk().await.context("the download failed")? {
            spool.push(&chunk)?;
        }
        spool.finish()
    })
}

/// Unpacks the files Palisade uses into `staging` and hashes them; refuses an archive with
/// entries that escape, links, special files, or more than the limits allow.
fn unpack(
    archive: impl Read,
    staging: &Path,
    manifest: &Manifest,
    limits: &Limits,
) -> anyhow::Result<Unpacked> {
    let hit = Rc::new(Cell::new(false));
    let capped = Capped {
        inner: flate2::read::GzDecoder::new(archive),
        left: limits.unpacked_bytes,
        hit: Rc::clone(&hit),
    };
    let unreadable = |e: io::Error| {
        if hit.get() {
            anyhow::anyhow!(
                "the archive unpacks to more than {} MiB (the limit); refused",
                limits.unpacked_bytes >> 20
            )
        } else {
            anyhow::Error::new(e).context("the archive is not a readable .tar.gz")
        }
    };
    let top = manifest.top_folder();
    let mut tar = tar::Archive::new(capped);
    let mut out = Unpacked::default();
    let mut count = 0u64;
    for entry in tar.entries().map_err(unreadable)? {
        count += 1;
        if count > limits.entries {
            bail!(
                "the archive has more than {} entries (the limit); refused",
                limits.entries
            );
        }
        let mut entry = entry.map_err(unreadable)?;
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            if entry.size() > limits.global_header_bytes {
                bail!("the archive's pax global header is too large; refused");
            }
            let ext = entry.pax_extensions().map_err(unreadable)?;
            for e in ext.into_iter().flatten().flatten() {
                if e.key() == Ok("comment") {
                    out.commit = e.value().ok().map(str::to_owned);
                }
            }
            continue;
        }
        let raw = entry.path().map_err(unreadable)?.into_owned();
        let refuse = |why: &str| {
            anyhow::anyhow!(
                "refused: archive entry `{}` {why}; nothing was installed",
                raw.display()
            )
        };
        let rel = relative_path(&raw, &top).map_err(|why| refuse(&why))?;
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Symlink => return Err(refuse("is a symbolic link")),
            tar::EntryType::Link => return Err(refuse("is a hard link")),
            other => return Err(refuse(&format!("has unsupported type {other:?}"))),
        }
        if rel.is_empty() {
            return Err(refuse("is not inside a folder"));
        }
        let listed = manifest.files.contains_key(&rel);
        if !listed && !rel.starts_with("rules/") {
            out.skipped += 1;
            continue;
        }
        let rule_file = rel.ends_with(".conf") || rel.ends_with(".data");
        if !(listed || rule_file) {
            out.ignored.push(rel);
            continue;
        }
        if out.files.contains_key(&rel) {
            return Err(refuse("appears twice"));
        }
        // Only release files are written; an extra rule file is hashed and reported.
        let mut file = if listed {
            let path = staging.join(&rel);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            Some(
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            )
        } else {
            None
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = entry.read(&mut buf).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if let Some(f) = &mut file {
                f.write_all(&buf[..n])
                    .with_context(|| format!("cannot write {rel}"))?;
            }
        }
        if let Some(f) = file {
            f.sync_all()
                .with_context(|| format!("cannot write {rel}"))?;
        }
        out.files.insert(rel, hasher.finalize().into());
    }
    Ok(out)
}

/// The entry's path below the top-level folder, `/`-separated; an error names why the
/// entry is refused.
fn relative_path(raw: &Path, top: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for c in raw.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().ok_or("has a name that is not UTF-8")?),
            Component::ParentDir => return Err("goes up a folder (`..`)".to_owned()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("has an absolute path".to_owned());
            }
            Component::CurDir => return Err("starts with `./`".to_owned()),
        }
    }
    match parts.split_first() {
        Some((first, rest)) if *first == top => Ok(rest.join("/")),
        _ => Err(format!("is outside the release folder `{top}/`")),
    }
}

/// Every difference between what was unpacked and the manifest, in path order.
fn verify(manifest: &Manifest, found: &BTreeMap<String, [u8; 32]>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (path, expected) in &manifest.files {
        match found.get(path) {
            None => problems.push(Problem::Missing(path.clone())),
            Some(found) if found != expected => problems.push(Problem::Modified {
                path: path.clone(),
                expected: *expected,
                found: *found,
            }),
            Some(_) => {}
        }
    }
    for path in found.keys() {
        if !manifest.files.contains_key(path) {
            problems.push(Problem::Extra(path.clone()));
        }
    }
    problems
}

/// Writes `VERSION`, creates `plugins/`, keeps the user's `crs-setup.conf` and plugins from
/// a previous install, and opens the folder to other readers (the service user).
fn finish_staging(
    staging: &Path,
    manifest: &Manifest,
    source: &str,
    archive_hex: &str,
    dest: &Path,
) -> anyhow::Result<()> {
    let version = format!(
        "tag: v{}\ncommit: {}\narchive_sha256: {archive_hex}\nsource: {source}\n\
         installed_by: palisade {} rules fetch-crs\n",
        manifest.version,
        manifest.commit,
        env!("CARGO_PKG_VERSION")
    );
    fs::write(staging.join("VERSION"), version).context("cannot write VERSION")?;
    let plugins = staging.join("plugins");
    fs::create_dir_all(&plugins).context("cannot create plugins/")?;

    let old_setup = dest.join("crs-setup.conf");
    if old_setup.is_file() {
        fs::copy(&old_setup, staging.join("crs-setup.conf"))
            .with_context(|| format!("cannot keep {}", old_setup.display()))?;
        println!("kept: crs-setup.conf from the previous install");
    }
    if let Ok(dir) = fs::read_dir(dest.join("plugins")) {
        let mut kept = 0;
        for item in dir {
            let item = item.with_context(|| format!("cannot read {}/plugins", dest.display()))?;
            if item.file_type().is_ok_and(|t| t.is_file()) {
                fs::copy(item.path(), plugins.join(item.file_name()))
                    .with_context(|| format!("cannot keep {}", item.path().display()))?;
                kept += 1;
            }
        }
        if kept > 0 {
            println!("kept: {kept} plugin file(s) from the previous install");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(staging, fs::Permissions::from_mode(0o755))
            .context("cannot set the install folder's permissions")?;
    }
    Ok(())
}

/// Puts the staging folder at `dest`. A previous install is exchanged atomically where the
/// system can (Linux `renameat2`), else moved aside first and restored on failure; then it
/// is removed.
fn swap_into_place(staging: tempfile::TempDir, dest: &Path, parent: &Path) -> anyhow::Result<()> {
    let from = staging.path().to_path_buf();
    let cannot = || format!("cannot move the verified files to {}", dest.display());
    if fs::symlink_metadata(dest).is_err() {
        fs::rename(&from, dest).with_context(cannot)?;
        let _ = staging.keep();
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, &from, CWD, dest, RenameFlags::EXCHANGE) {
            // The staging folder now holds the previous install.
            Ok(()) => return remove_previous(staging),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(io::Error::from(e)).with_context(cannot),
        }
    }
    let aside = tempfile::Builder::new()
        .prefix(".crs-previous-")
        .tempdir_in(parent)
        .with_context(cannot)?;
    let old = aside.path().join("crs");
    fs::rename(dest, &old).with_context(cannot)?;
    if let Err(e) = fs::rename(&from, dest) {
        let _ = fs::rename(&old, dest);
        return Err(e).with_context(cannot);
    }
    let _ = staging.keep();
    remove_previous(aside)
}

fn remove_previous(dir: tempfile::TempDir) -> anyhow::Result<()> {
    let path = dir.path().to_path_buf();
    if let Err(e) = dir.close() {
        eprintln!(
            "warning: cannot remove the previous install at {}: {e}",
            path.display()
        );
    }
    Ok(())
}

fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `PALISADE_CRS_DIR`, else `<workspace>/../shared/crs`, when it holds `rules/`.
    fn shared_crs() -> Option<PathBuf> {
        let dir = std::env::var_os("PALISADE_CRS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs"));
        dir.join("rules").is_dir().then_some(dir)
    }

    fn sha256_of(path: &Path) -> [u8; 32] {
        Sha256::digest(fs::read(path).unwrap()).into()
    }

    #[test]
    fn builtin_manifest_parses_and_names_the_pinned_release() {
        let m = Manifest::builtin().unwrap();
        assert_eq!(m.version, palisade_waf::crs::CRS_VERSION);
        assert_eq!(m.commit, "55b09f5acfd16413e7b31041100711ceb7adc89c");
        assert!(m.files.contains_key("LICENSE"));
        assert!(m.files.contains_key("crs-setup.conf.example"));
        assert!(
            m.files
                .contains_key("rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf")
        );
        assert!(DEFAULT_URL.ends_with(&format!("/v{}.tar.gz", m.version)));
    }

    /// The manifest lists exactly `LICENSE`, `crs-setup.conf.example` and every file under
    /// `rules/` of the CRS checkout, with their hashes.
    #[test]
    fn manifest_matches_the_crs_checkout() {
        let Some(dir) = shared_crs() else {
            eprintln!("skipped: no CRS checkout (set PALISADE_CRS_DIR or provide ../shared/crs)");
            return;
        };
        let m = Manifest::builtin().unwrap();
        let mut found = BTreeMap::new();
        for name in ["LICENSE", "crs-setup.conf.example"] {
            found.insert(name.to_owned(), sha256_of(&dir.join(name)));
        }
        let mut stack = vec![dir.join("rules")];
        while let Some(d) = stack.pop() {
            for item in fs::read_dir(&d).unwrap() {
                let path = item.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(&dir).unwrap();
                    found.insert(rel.to_str().unwrap().to_owned(), sha256_of(&path));
                }
            }
        }
        let problems = verify(&m, &found);
        // Extra here means any file under rules/, not only .conf/.data.
        assert!(
            problems.is_empty(),
            "crs_manifest.txt is out of date with {}:\n{}",
            dir.display(),
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        if let Ok(version) = fs::read_to_string(dir.join("VERSION")) {
            assert!(
                version.contains(&m.commit),
                "VERSION names another commit:\n{version}"
            );
        }
    }

    #[test]
    fn manifest_parser_rejects_bad_lines() {
        let ok = "#: version 1.0.0\n#: commit abc\n";
        let hash = "00".repeat(32);
        assert!(Manifest::parse(&format!("{ok}{hash}  rules/a.conf\n")).is_ok());
        for bad in [
            format!("{ok}{hash} rules/a.conf\n"),
            format!("{ok}zz  rules/a.conf\n"),
            format!("{ok}{hash}  ../a.conf\n"),
            format!("{ok}{hash}  /a.conf\n"),
            format!("{ok}{hash}  a\n{hash}  a\n"),
            format!("#: commit abc\n{hash}  a\n"),
            format!("{ok}#: colour red\n{hash}  a\n"),
            ok.to_owned(),
        ] {
            assert!(Manifest::parse(&bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn relative_path_strips_only_the_top_folder() {
        let top = "coreruleset-4.28.0";
        let ok = |p: &str| relative_path(Path::new(p), top);
        assert_eq!(
            ok("coreruleset-4.28.0/rules/a.conf").unwrap(),
            "rules/a.conf"
        );
        assert_eq!(ok("coreruleset-4.28.0/").unwrap(), "");
        assert!(ok("coreruleset-4.28.0/../a").unwrap_err().contains(".."));
        assert!(ok("coreruleset-4.28.0/rules/../../a").is_err());
        assert!(ok("/etc/passwd").unwrap_err().contains("absolute"));
        assert!(ok("./coreruleset-4.28.0/a").is_err());
        assert!(
            ok("coreruleset-4.27.0/rules/a.conf")
                .unwrap_err()
                .contains("outside")
        );
        assert!(ok("rules/a.conf").is_err());
    }

    /// A small manifest and archives built in memory, with raw headers where the `tar`
    /// crate's builder would refuse the path.
    struct Fixture {
        manifest: Manifest,
        staging: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Fixture {
            let a: [u8; 32] = Sha256::digest(b"rule a\n").into();
            let b: [u8; 32] = Sha256::digest(b"license\n").into();
            let text = format!(
                "#: version 9.9.9\n#: commit c0ffee\n{}  LICENSE\n{}  rules/a.conf\n",
                hex::encode(b),
                hex::encode(a)
            );
            Fixture {
                manifest: Manifest::parse(&text).unwrap(),
                staging: tempfile::tempdir().unwrap(),
            }
        }

        fn unpack(&self, archive: &[u8], limits: &Limits) -> anyhow::Result<Unpacked> {
            unpack(archive, self.staging.path(), &self.manifest, limits)
        }
    }

    /// Entry kinds for `targz`.
    enum E<'a> {
        File(&'a str, &'a [u8]),
        Dir(&'a str),
        Symlink(&'a str, &'a str),
        Hardlink(&'a str, &'a str),
        Global(&'a str),
    }

    fn targz(entries: &[E<'_>]) -> Vec<u8> {
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for e in entries {
            let mut h = tar::Header::new_gnu();
            let (name, kind, data, link): (&str, _, &[u8], Option<&str>) = match e {
                E::File(n, d) => (n, tar::EntryType::Regular, d, None),
                E::Dir(n) => (n, tar::EntryType::Directory, b"", None),
                E::Symlink(n, t) => (n, tar::EntryType::Symlink, b"", Some(t)),
                E::Hardlink(n, t) => (n, tar::EntryType::Link, b"", Some(t)),
                E::Global(d) => (
                    "pax_global_header",
                    tar::EntryType::XGlobalHeader,
                    d.as_bytes(),
                    None,
                ),
            };
            // Raw name bytes: the builder's `set_path` refuses `..` and absolute paths.
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(t) = link {
                h.as_old_mut().linkname[..t.len()].copy_from_slice(t.as_bytes());
            }
            h.set_entry_type(kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append(&h, data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    fn good_entries<'a>() -> Vec<E<'a>> {
        vec![
            E::Global("52 comment=c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff\n"),
            E::Dir("coreruleset-9.9.9/"),
            E::File("coreruleset-9.9.9/LICENSE", b"license\n"),
            E::Dir("coreruleset-9.9.9/rules/"),
            E::File("coreruleset-9.9.9/rules/a.conf", b"rule a\n"),
            E::File("coreruleset-9.9.9/rules/README.md", b"readme\n"),
            E::File("coreruleset-9.9.9/tests/t.yaml", b"test\n"),
        ]
    }

    #[test]
    fn unpacks_manifest_files_only() {
        let f = Fixture::new();
        let out = f.unpack(&targz(&good_entries()), &Limits::DEFAULT).unwrap();
        assert!(verify(&f.manifest, &out.files).is_empty());
        assert_eq!(out.ignored, ["rules/README.md"]);
        assert_eq!(out.skipped, 1);
        assert_eq!(
            out.commit.as_deref(),
            Some("c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff")
        );
        let rule = fs::read(f.staging.path().join("rules/a.conf")).unwrap();
        assert_eq!(rule, b"rule a\n");
        assert!(!f.staging.path().join("tests").exists());
        assert!(!f.staging.path().join("rules/README.md").exists());
    }

    #[test]
    fn reports_missing_modified_and_extra_files_together() {
        let f = Fixture::new();
        let archive = targz(&[
            E::File("coreruleset-9.9.9/rules/a.conf", b"rule a, changed\n"),
            E::File("coreruleset-9.9.9/rules/b.data", b"extra\n"),
        ]);
        let out = f.unpack(&archive, &Limits::DEFAULT).unwrap();
        let problems: Vec<String> = verify(&f.manifest, &out.files)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(problems[0], "missing: LICENSE");
        assert!(problems[1].starts_with("modified: rules/a.conf (sha256 "));
        assert_eq!(problems[2], "extra: rules/b.data (not part of the release)");
        assert!(!f.staging.path().join("rules/b.data").exists());
    }

    #[test]
    fn refuses_hostile_entries() {
        let cases: Vec<(Vec<E<'_>>, &str)> = vec![
            (vec![E::File("coreruleset-9.9.9/../evil", b"x")], "`..`"),
            (vec![E::File("/etc/evil", b"x")], "absolute"),
            (vec![E::File("other/rules/a.conf", b"x")], "outside"),
            (vec![E::File("evil", b"x")], "outside"),
            (
                vec![E::Symlink("coreruleset-9.9.9/rules/a.conf", "/etc/passwd")],
                "symbolic link",
            ),
            (
                vec![E::Symlink("coreruleset-9.9.9/tests/x", "../../x")],
                "symbolic link",
            ),
            (
                vec![E::Hardlink("coreruleset-9.9.9/rules/a.conf", "/etc/passwd")],
                "hard link",
            ),
            (
                vec![
                    E::File("coreruleset-9.9.9/rules/a.conf", b"rule a\n"),
                    E::File("coreruleset-9.9.9/rules/a.conf", b"rule b\n"),
                ],
                "twice",
            ),
        ];
        for (entries, why) in cases {
            let f = Fixture::new();
            let err = format!(
                "{:#}",
                f.unpack(&targz(&entries), &Limits::DEFAULT).unwrap_err()
            );
            assert!(err.contains("refused") && err.contains(why), "{why}: {err}");
        }
    }

    #[test]
    fn enforces_the_entry_and_size_limits() {
        let f = Fixture::new();
        let archive = targz(&good_entries());
        let few = Limits {
            entries: 3,
            ..Limits::DEFAULT
        };
        let err = f.unpack(&archive, &few).unwrap_err().to_string();
        assert!(err.contains("more than 3 entries"), "{err}");

        let f = Fixture::new();
        let big = vec![b'a'; 4 << 20];
        let archive = targz(&[E::File("coreruleset-9.9.9/tests/big", &big)]);
        assert!(archive.len() < 64 << 10, "compresses well");
        let small = Limits {
            unpacked_bytes: 1 << 20,
            ..Limits::DEFAULT
        };
        let err = f.unpack(&archive, &small).unwrap_err().to_string();
        assert!(err.contains("more than 1 MiB"), "{err}");

        let err = f.unpack(b"not gzip", &Limits::DEFAULT).unwrap_err();
        assert!(format!("{err:#}").contains("not a readable"), "{err:#}");
    }

    #[test]
    fn spool_caps_the_archive_size() {
        let mut s = Spool::new(10).unwrap();
        s.push(b"0123456789").unwrap();
        assert!(s.push(b"x").is_err());
    }

    #[test]
    fn replaces_only_a_previous_install() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("crs");
        check_destination(&dest).unwrap();
        fs::create_dir(&dest).unwrap();
        check_destination(&dest).unwrap();
        fs::write(dest.join("notes.txt"), "mine").unwrap();
        let err = check_destination(&dest).unwrap_err().to_string();
        assert!(err.contains("not a CRS install"), "{err}");
        fs::create_dir(dest.join("rules")).unwrap();
        check_destination(&dest).unwrap();
    }

    #[test]
    fn swaps_a_previous_install_and_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("crs");
        fs::create_dir_all(dest.join("rules")).unwrap();
        fs::write(dest.join("rules/old.conf"), "old").unwrap();
        let staging = tempfile::Builder::new()
            .prefix(".crs-staging-")
            .tempdir_in(dir.path())
            .unwrap();
        fs::create_dir(staging.path().join("rules")).unwrap();
        fs::write(staging.path().join("rules/new.conf"), "new").unwrap();
        swap_into_place(staging, &dest, dir.path()).unwrap();
        assert!(dest.join("rules/new.conf").is_file());
        assert!(!dest.join("rules/old.conf").exists());
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "staging or previous install left behind");
    }
}
